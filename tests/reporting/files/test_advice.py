"""Tests for the advice on rejected files, against reasons that ingest produces."""

import codecs
import re
from pathlib import Path

import pytest
from recon_ingest.parsers.model import ParseRejected, ParseSettings
from recon_ingest.parsers.service import parse_file
from recon_reporting.files.advice import ADVICE, RejectionKind, advise

from tests.conftest import CORPUS, REPO_ROOT

MISMATCHED_STATEMENT = CORPUS / "mt940" / "raiffeisen_hu_cp852.sta"
INVALID_DATE_STATEMENT = CORPUS / "mt940" / "german_february_30_invalid_date_crlf.sta"
requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the bank file corpus is not at {CORPUS}"
)
EARLIER_FILE_ID = "0b7c4a1e-7a52-4f7e-9d0e-2f4b6f1c9a11"
# Reasons that recon_ingest's parsing handler writes itself, in its wording.
HANDLER_REASONS = {
    RejectionKind.DUPLICATE_FILE: (
        f"duplicate of file day1.sta ({EARLIER_FILE_ID}) landed at "
        "2026-12-03T07:30:00+00:00 with the same SHA-256, so its transactions "
        "were not posted again"
    ),
    RejectionKind.REPEATED_STATEMENT: (
        "statement at line 1 (statement id 1234, sequence 00001/001) was already "
        f"published from file day1.sta ({EARLIER_FILE_ID}) landed at "
        "2026-12-03T07:30:00+00:00, so the file was rejected"
    ),
    RejectionKind.LIMIT: (
        "file is 70000 bytes, more than the limit of 65536 "
        "(INGEST_PARSE_MAX_FILE_BYTES)"
    ),
}


def parser_reason(data: bytes, settings: ParseSettings) -> str:
    with pytest.raises(ParseRejected) as raised:
        parse_file(
            data, filename="upload.sta", file_id="f-1", bank_id="b", settings=settings
        )
    return raised.value.reason


@pytest.mark.parametrize("kind", sorted(HANDLER_REASONS))
def test_advise_handler_reason_kind(kind: RejectionKind) -> None:
    advice = advise(HANDLER_REASONS[kind])

    assert advice.kind is kind
    assert advice.text == ADVICE[kind]


@pytest.mark.parametrize(
    "kind", [RejectionKind.DUPLICATE_FILE, RejectionKind.REPEATED_STATEMENT]
)
def test_advise_repeat_names_earlier_file(kind: RejectionKind) -> None:
    advice = advise(HANDLER_REASONS[kind])

    assert advice.earlier_file_id == EARLIER_FILE_ID


def test_advise_limit_names_no_earlier_file() -> None:
    advice = advise(HANDLER_REASONS[RejectionKind.LIMIT])

    assert advice.earlier_file_id is None


@requires_corpus
def test_advise_balance_mismatch_is_totals() -> None:
    reason = parser_reason(
        MISMATCHED_STATEMENT.read_bytes(), ParseSettings(balance_mismatch="reject")
    )

    advice = advise(reason)

    assert advice.kind is RejectionKind.TOTALS


@requires_corpus
def test_advise_configured_encoding_mismatch_is_encoding() -> None:
    reason = parser_reason(
        MISMATCHED_STATEMENT.read_bytes(), ParseSettings(encoding="utf-8")
    )

    advice = advise(reason)

    assert advice.kind is RejectionKind.ENCODING


def test_advise_unknown_content_is_unsupported() -> None:
    reason = parser_reason(b"just some words\n", ParseSettings())

    advice = advise(reason)

    assert advice.kind is RejectionKind.UNSUPPORTED


@pytest.mark.parametrize("data", [b"", b"  \r\n\t"], ids=["empty", "blank"])
def test_advise_empty_file_is_empty(data: bytes) -> None:
    reason = parser_reason(data, ParseSettings())

    advice = advise(reason)

    assert advice.kind is RejectionKind.EMPTY


def test_advise_undefined_profile_is_setup() -> None:
    reason = (
        "the SFTP user's csv_profile 'fr-bank' is not defined in "
        "INGEST_CSV_PROFILES_FILE (defined: ledger); define it there and restart "
        "ingest, or correct the user's csv_profile in the SFTP users file, then "
        "deliver the file again"
    )

    advice = advise(reason)

    assert advice.kind is RejectionKind.SETUP


def test_advise_wide_text_without_bom_is_encoding() -> None:
    data = ":20:NUL BYTES\r\n".encode("utf-16-le") + b"\x00" * 4

    advice = advise(parser_reason(data, ParseSettings(encoding="latin-1")))

    assert advice.kind is RejectionKind.ENCODING


def test_advise_cut_off_wide_file_is_invalid() -> None:
    # The BOM decides the encoding, so INGEST_ENCODING cannot help this file.
    data = codecs.BOM_UTF16_LE + ":20:CUT OFF\r\n".encode("utf-16-le")[:-1]

    advice = advise(parser_reason(data, ParseSettings(encoding="utf-16-le")))

    assert advice.kind is RejectionKind.INVALID
    assert "INGEST_ENCODING" not in advice.text


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            b"<?xml version='1.0'?><Document><BkToCstmrStmt><Stmt>", id="truncated-xml"
        ),
        pytest.param(INVALID_DATE_STATEMENT, id="invalid-date", marks=requires_corpus),
    ],
)
def test_advise_malformed_file_is_invalid(source: bytes | Path) -> None:
    data = source.read_bytes() if isinstance(source, Path) else source
    reason = parser_reason(data, ParseSettings())

    advice = advise(reason)

    assert advice.kind is RejectionKind.INVALID
    assert advice.earlier_file_id is None


@pytest.mark.parametrize("kind", list(RejectionKind))
def test_advice_text_in_ingest_docs(kind: RejectionKind) -> None:
    text = (REPO_ROOT / "docs" / "ingest.md").read_text().replace("`", "")
    docs = re.sub(r"\s+", " ", text)

    assert ADVICE[kind] in docs


def test_advice_covers_every_kind() -> None:
    assert set(ADVICE) == set(RejectionKind)
