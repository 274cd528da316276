"""Empty files, and UTF-16 and UTF-32 files such as Excel's "Unicode text" export.

Each wide file is made in the test from a UTF-8 or ASCII original, a corpus sample
or a generated CSV ledger, and must parse to the same transactions as the original.
"""

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest
from recon_common.events import Transaction
from recon_ingest.parsers import (
    LEDGER_PROFILE,
    ParseRejected,
    ParseResult,
    ParseSettings,
    parse_path,
)
from recon_ingest.parsers.wide import wide_encoding

from tests.conftest import CORPUS
from tests.ingest.parsing.ledgers import ledger_csv

from .support import parse_bytes

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"sample corpus not found at {CORPUS}"
)

# ASCII with CRLF and 12 statements, and UTF-8 with "ß" in a :86: field.
CORPUS_MT940 = (
    "mt940/danskebank_se_example_crlf.sta",
    "mt940/sparkasse_interim_60M_balance_only_block.txt",
)
CORPUS_CAMT053 = "camt053/be_anonymized_period_statement.xml"

# How Excel, Notepad and iconv write wide text: (name, BOM, codec of the body).
WIDE_FORMS = (
    ("utf-16-le with BOM", codecs.BOM_UTF16_LE, "utf-16-le"),
    ("utf-16-be with BOM", codecs.BOM_UTF16_BE, "utf-16-be"),
    ("utf-16-le without BOM", b"", "utf-16-le"),
    ("utf-16-be without BOM", b"", "utf-16-be"),
    ("utf-32-le with BOM", codecs.BOM_UTF32_LE, "utf-32-le"),
)


def widen(text: str, bom: bytes, codec: str) -> bytes:
    """Return `text` encoded with `codec`, after `bom`."""
    return bom + text.encode(codec)


def corpus_text(relative_path: str) -> str:
    """Return the text of a UTF-8 or ASCII corpus file."""
    return (CORPUS / relative_path).read_bytes().decode("utf-8")


def transactions_of(result: ParseResult) -> list[dict[str, object]]:
    return [transaction.model_dump(mode="json") for transaction in result.transactions]


def test_empty_file_rejected_as_empty() -> None:
    with pytest.raises(ParseRejected) as error:
        parse_bytes(b"", filename="empty.sta")

    assert "'empty.sta' is empty (0 bytes)" in error.value.reason
    assert "deliver the file again" in error.value.reason
    assert "unknown content" not in error.value.reason


def test_whitespace_file_rejected_as_blank() -> None:
    with pytest.raises(ParseRejected) as error:
        parse_bytes(b"\r\n  \r\n", filename="blank.sta")

    assert "'blank.sta' contains only whitespace (6 bytes)" in error.value.reason


def test_utf16_byte_order_mark_only_rejected_as_blank() -> None:
    with pytest.raises(ParseRejected) as error:
        parse_bytes(codecs.BOM_UTF16_LE, filename="blank.sta")

    assert "'blank.sta' contains only whitespace (2 bytes)" in error.value.reason


def test_empty_file_on_disk_rejected_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.sta"
    path.write_bytes(b"")

    with pytest.raises(ParseRejected) as error:
        parse_path(path, file_id="f1", bank_id="bank-a", on_transactions=print)

    assert "'empty.sta' is empty (0 bytes)" in error.value.reason


@requires_corpus
@pytest.mark.parametrize("relative_path", CORPUS_MT940)
@pytest.mark.parametrize(
    ("form", "bom", "codec"), WIDE_FORMS, ids=[form for form, _, _ in WIDE_FORMS]
)
def test_wide_mt940_parses_like_original(
    relative_path: str, form: str, bom: bytes, codec: str
) -> None:
    text = corpus_text(relative_path)
    original = parse_bytes(text.encode("utf-8"), filename=Path(relative_path).name)

    wide = parse_bytes(widen(text, bom, codec), filename=Path(relative_path).name)

    assert original.transactions
    assert transactions_of(wide) == transactions_of(original)
    assert wide.statements == original.statements
    assert wide.encoding == codec


@pytest.mark.parametrize(
    ("form", "bom", "codec"), WIDE_FORMS, ids=[form for form, _, _ in WIDE_FORMS]
)
def test_wide_csv_ledger_parses_like_original(
    form: str, bom: bytes, codec: str
) -> None:
    text = ledger_csv(range(1, 41))
    original = parse_bytes(
        text.encode("utf-8"), filename="ledger.csv", csv_profile=LEDGER_PROFILE
    )

    wide = parse_bytes(
        widen(text, bom, codec), filename="ledger.csv", csv_profile=LEDGER_PROFILE
    )

    assert len(original.transactions) == 40
    assert transactions_of(wide) == transactions_of(original)
    assert wide.encoding == codec


def test_wide_csv_ledger_txt_name_detected() -> None:
    text = ledger_csv(range(1, 4)).replace("Customer 1", "Kund Åsa Müller")
    data = widen(text, codecs.BOM_UTF16_LE, "utf-16-le")

    result = parse_bytes(data, filename="ledger.txt", csv_profile=LEDGER_PROFILE)

    assert result.source_format == "csv"
    assert result.transactions[0].counterparty_name == "Kund Åsa Müller"


@requires_corpus
def test_wide_camt_on_disk_parses_like_original(tmp_path: Path) -> None:
    original_path = CORPUS / CORPUS_CAMT053
    wide_path = tmp_path / original_path.name
    wide_path.write_bytes(
        widen(original_path.read_text("utf-8"), codecs.BOM_UTF16_LE, "utf-16-le")
    )
    original: list[Transaction] = []
    wide: list[Transaction] = []

    parse_path(
        original_path, file_id="f1", bank_id="bank-a", on_transactions=original.extend
    )
    result = parse_path(
        wide_path, file_id="f1", bank_id="bank-a", on_transactions=wide.extend
    )

    assert original
    assert wide == original
    assert result.encoding == "utf-16-le"


@requires_corpus
def test_configured_utf16_parses_file_without_bom() -> None:
    text = corpus_text(CORPUS_MT940[0])
    original = parse_bytes(text.encode("utf-8"))
    settings = ParseSettings(encoding="utf-16-le")

    wide = parse_bytes(text.encode("utf-16-le"), settings=settings)

    assert transactions_of(wide) == transactions_of(original)


def test_configured_utf16_decides_when_nul_pattern_is_absent() -> None:
    # Greek letters have no NUL high byte, so mostly Greek text hides the pattern.
    greek = " ".join(["Τιμολόγιο πληρωμής προμηθευτή για υπηρεσίες λογιστικής"] * 3)
    data = ledger_csv(range(1, 3)).replace("Invoice", greek).encode("utf-16-le")
    settings = ParseSettings(encoding="utf-16-le")

    detected = wide_encoding(data, configured=None)
    result = parse_bytes(
        data, filename="ledger.txt", settings=settings, csv_profile=LEDGER_PROFILE
    )

    assert detected is None
    assert result.transactions[0].remittance_info == f"{greek} 1"


def test_truncated_utf16_with_bom_rejected_as_cut_off() -> None:
    data = widen(ledger_csv(range(1, 3)), codecs.BOM_UTF16_LE, "utf-16-le")[:-1]

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="ledger.csv", csv_profile=LEDGER_PROFILE)

    reason = error.value.reason
    assert "UTF-16-LE byte order mark" in reason
    assert f"byte {len(data) - 1} is not valid UTF-16-LE" in reason
    assert "damaged or cut off" in reason
    assert "deliver the complete file again" in reason
    assert "INGEST_ENCODING" not in reason


def test_truncated_utf16_with_bom_ignores_configured_encoding() -> None:
    data = widen(ledger_csv(range(1, 3)), codecs.BOM_UTF16_LE, "utf-16-le")[:-1]
    settings = ParseSettings(encoding="utf-16-be")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="ledger.csv", settings=settings)

    assert "damaged or cut off" in error.value.reason


def test_nul_bytes_without_pattern_named_in_reason() -> None:
    data = b"\x00\x01\x02binary\x00\x00\x00 export\x00"

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="export.dat")

    assert "unknown content in 'export.dat'" in error.value.reason
    assert "UTF-16 or UTF-32" in error.value.reason
    assert "configure the encoding" in error.value.reason


@requires_corpus
def test_cli_encoding_option_parses_utf16(tmp_path: Path) -> None:
    path = tmp_path / "utf16_statement.sta"
    path.write_bytes(corpus_text(CORPUS_MT940[0]).encode("utf-16"))

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "recon_ingest.parsers",
            str(path),
            "--encoding",
            "utf-16",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["source_format"] == "mt940"
    assert len(output["transactions"]) == 103
