"""Tests for the file page and the links and warning counts of the Files page."""

import html

import httpx
import pytest
from fastapi import FastAPI
from recon_common.events import FileRef, FileStatus, MatchesProduced
from recon_ingest.parsers.service import parse_file
from recon_reporting.files.advice import ADVICE, RejectionKind

from tests.conftest import CORPUS
from tests.reporting.conftest import feed, login
from tests.reporting.factory import REJECTION_REASON, build_day, file_ref

MISMATCHED_STATEMENT = CORPUS / "mt940" / "raiffeisen_hu_cp852.sta"
requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the bank file corpus is not at {CORPUS}"
)
DUPLICATE_REASON = (
    "duplicate of file file-statement.sta (file-statement) landed at "
    "2026-12-03T07:30:00+00:00 with the same SHA-256, so its transactions were "
    "not posted again"
)


def mismatch_warnings() -> list[str]:
    """Return the warnings that ingest's parser records for the corpus file."""
    result = parse_file(
        MISMATCHED_STATEMENT.read_bytes(),
        filename=MISMATCHED_STATEMENT.name,
        file_id="file-short",
        bank_id="test-bank",
    )
    return result.warnings


def payload(*files: FileRef) -> MatchesProduced:
    return MatchesProduced(
        run_id="run-file-page", chunk_index=0, chunk_count=1, files=list(files)
    )


def rejected(file_id: str, reason: str) -> FileRef:
    return file_ref(file_id, status=FileStatus.REJECTED).model_copy(
        update={"rejection_reason": reason}
    )


async def test_file_page_shows_details(app: FastAPI, client: httpx.AsyncClient) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/files/file-statement")

    assert response.status_code == 200
    assert "file-statement.sta" in response.text
    assert '<dd id="file-status">parsed</dd>' in response.text
    assert '<dd id="file-format">mt940</dd>' in response.text
    assert '<dd id="file-kind">statement</dd>' in response.text
    assert '<dd id="file-size">1234 bytes</dd>' in response.text
    assert '<dd id="file-transactions">6</dd>' in response.text
    assert f'<code id="file-sha256">{"a" * 64}</code>' in response.text
    assert "2026-12-03 07:30" in response.text


@requires_corpus
async def test_file_page_shows_parser_warnings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    warnings = mismatch_warnings()
    file = file_ref("file-short", count=7).model_copy(update={"warnings": warnings})
    await feed(app, payload(file))
    await login(client, "vera")

    response = await client.get("/files/file-short")

    assert warnings, "the corpus file no longer has a balance warning"
    assert '<dd id="file-warning-count">1</dd>' in response.text
    assert html.escape(warnings[0]) in response.text
    assert "but the closing balance is 25281687.60" in response.text


async def test_file_page_without_warnings_says_none(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/files/file-statement")

    assert "No warnings." in response.text
    assert 'id="rejection-advice"' not in response.text


async def test_file_page_rejected_shows_advice(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/files/file-broken")

    assert '<dd id="file-status">rejected</dd>' in response.text
    assert REJECTION_REASON in response.text
    assert html.escape(ADVICE[RejectionKind.INVALID]) in response.text


async def test_file_page_duplicate_links_earlier_file(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await feed(app, payload(rejected("file-again", DUPLICATE_REASON)))
    await login(client, "vera")

    response = await client.get("/files/file-again")

    assert html.escape(ADVICE[RejectionKind.DUPLICATE_FILE]) in response.text
    assert 'href="/files/file-statement"' in response.text


async def test_file_page_unknown_earlier_file_not_linked(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, payload(rejected("file-again", DUPLICATE_REASON)))
    await login(client, "vera")

    response = await client.get("/files/file-again")

    assert 'href="/files/file-statement"' not in response.text
    assert (
        "<code>file-statement</code> (not received by the reporting service yet)"
    ) in response.text


async def test_file_page_unknown_file_is_html_404(client: httpx.AsyncClient) -> None:
    await login(client, "vera")

    response = await client.get("/files/missing", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "missing&#39; not found; the Files page lists" in response.text


async def test_file_page_requires_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/files/file-statement")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/files/file-statement")


async def test_files_page_links_each_file(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/files")

    for file_id in ("file-statement", "file-ledger", "file-broken"):
        assert f'href="/files/{file_id}"' in response.text, file_id


async def test_files_page_counts_warnings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    file = file_ref("file-short").model_copy(
        update={"warnings": ["first warning", "second warning"]}
    )
    await feed(app, payload(file))
    await login(client, "vera")

    response = await client.get("/files")

    assert 'class="status-parsed has-warnings"' in response.text
    assert ">2</a></td>" in response.text
