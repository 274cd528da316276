"""Tests for the file list and detail: status filter, reasons, advice, warnings."""

import httpx
from fastapi import FastAPI
from recon_common.events import FileRef, FileStatus, MatchesProduced
from recon_reporting.files.advice import ADVICE, RejectionKind

from tests.reporting.conftest import basic, feed, login
from tests.reporting.factory import REJECTION_REASON, build_day, file_ref

# The warning that ingest records for corpus file mt940/raiffeisen_hu_cp852.sta.
BALANCE_WARNING = (
    "statement at line 1: opening balance 25170637.10 plus entries -1012213.50 is "
    "24158423.60, but the closing balance is 25281687.60"
)


async def test_files_rejected_shows_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get(
        "/api/v1/files", params={"status": "rejected"}, auth=basic("vera")
    )

    [item] = response.json()["items"]
    assert item["file_id"] == "file-broken"
    assert item["status"] == "rejected"
    assert item["rejection_reason"] == REJECTION_REASON


async def test_file_detail_returns_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/files/file-broken", auth=basic("vera"))

    assert response.json()["rejection_reason"] == REJECTION_REASON


async def test_file_detail_unknown_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/files/missing", auth=basic("vera"))

    assert response.status_code == 404
    assert response.json()["error"] == "FileNotFound"


async def test_files_page_shows_rejection_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/files")

    assert response.status_code == 200
    assert "file-broken.sta" in response.text
    assert "tag :61: has an invalid value date 20261340" in response.text


def with_warnings(file: FileRef, warnings: list[str]) -> FileRef:
    return file.model_copy(update={"warnings": warnings})


def rejected_file(file_id: str, reason: str) -> FileRef:
    return file_ref(file_id, status=FileStatus.REJECTED).model_copy(
        update={"rejection_reason": reason, "source_format": None}
    )


def files_payload(*files: FileRef) -> MatchesProduced:
    return MatchesProduced(
        run_id="run-files", chunk_index=0, chunk_count=1, files=list(files)
    )


async def test_file_detail_returns_warnings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(
        app, files_payload(with_warnings(file_ref("file-short"), [BALANCE_WARNING]))
    )

    response = await client.get("/api/v1/files/file-short", auth=basic("vera"))

    assert response.json()["warnings"] == [BALANCE_WARNING]


async def test_file_list_returns_warnings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(
        app, files_payload(with_warnings(file_ref("file-short"), [BALANCE_WARNING]))
    )

    response = await client.get("/api/v1/files", auth=basic("vera"))

    [item] = response.json()["items"]
    assert item["warnings"] == [BALANCE_WARNING]


async def test_file_without_warnings_returns_empty_list(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/files/file-statement", auth=basic("vera"))

    assert response.json()["warnings"] == []


async def test_file_warnings_replaced_by_later_event(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    first = with_warnings(file_ref("file-short"), [BALANCE_WARNING, "second warning"])
    await feed(app, files_payload(first))

    await feed(
        app, files_payload(with_warnings(file_ref("file-short"), [BALANCE_WARNING]))
    )
    response = await client.get("/api/v1/files/file-short", auth=basic("vera"))

    assert response.json()["warnings"] == [BALANCE_WARNING]


async def test_file_detail_rejected_returns_advice(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/files/file-broken", auth=basic("vera"))

    assert response.json()["rejection_advice"] == ADVICE[RejectionKind.INVALID]


async def test_file_detail_parsed_has_no_advice(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/files/file-statement", auth=basic("vera"))

    assert response.json()["rejection_advice"] is None


async def test_file_detail_duplicate_returns_nothing_to_do(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reason = (
        "duplicate of file file-statement.sta (file-statement) landed at "
        "2026-12-03T07:30:00+00:00 with the same SHA-256, so its transactions "
        "were not posted again"
    )
    await feed(app, files_payload(rejected_file("file-again", reason)))

    response = await client.get("/api/v1/files/file-again", auth=basic("vera"))

    assert response.json()["rejection_advice"] == ADVICE[RejectionKind.DUPLICATE_FILE]
