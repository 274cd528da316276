"""`parse_path`: files read from disk, transactions passed on in batches."""

from pathlib import Path
from typing import Any

import pytest
from recon_common.events import Transaction
from recon_ingest.parsers import (
    ParseRejected,
    ParseResult,
    ParseSettings,
    parse_file,
    parse_path,
)

from tests.conftest import CORPUS

CAMT_SAMPLES = sorted((CORPUS / "camt053").glob("*.xml"))
MT940 = (
    b":20:PATH\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n:60F:C261203EUR100,00\r\n"
    b":61:2612031203C5,00NTRFREF1//B1\r\n:61:2612031203D2,00NTRFREF2//B2\r\n"
    b":62F:C261203EUR103,00\r\n"
)


def stream(path: Path, **options: Any) -> tuple[list[list[Transaction]], ParseResult]:
    batches: list[list[Transaction]] = []
    result = parse_path(
        path,
        file_id="f1",
        bank_id="bank-a",
        on_transactions=batches.append,
        **options,
    )
    return batches, result


@pytest.mark.parametrize("sample", CAMT_SAMPLES, ids=lambda path: path.name)
def test_parse_path_camt_matches_parse_file(sample: Path) -> None:
    expected = parse_file(
        sample.read_bytes(), filename=sample.name, file_id="f1", bank_id="bank-a"
    )

    batches, result = stream(sample, batch_size=2)

    streamed = [transaction for batch in batches for transaction in batch]
    assert streamed == expected.transactions
    assert all(len(batch) <= 2 for batch in batches)
    assert result.statements == expected.statements
    assert result.warnings == expected.warnings
    assert result.transactions == []


def test_parse_path_mt940_batched(tmp_path: Path) -> None:
    path = tmp_path / "day.sta"
    path.write_bytes(MT940)

    batches, result = stream(path, batch_size=1)

    assert [len(batch) for batch in batches] == [1, 1]
    assert batches[1][0].transaction_id == "f1:2"
    assert result.source_format == "mt940"


def test_parse_path_over_max_bytes_rejected(tmp_path: Path) -> None:
    path = tmp_path / "day.sta"
    path.write_bytes(MT940)

    with pytest.raises(ParseRejected, match="max_file_bytes"):
        stream(path, settings=ParseSettings(max_file_bytes=10))


def test_parse_path_camt_doctype_rejected(tmp_path: Path) -> None:
    path = tmp_path / "evil.xml"
    path.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>'
        b"<Document><BkToCstmrStmt><Stmt>&a;</Stmt></BkToCstmrStmt></Document>"
    )

    with pytest.raises(ParseRejected, match="DOCTYPE"):
        stream(path)


def test_parse_path_late_doctype_rejected(tmp_path: Path) -> None:
    # A comment pushes the DOCTYPE past the prolog bytes that are searched as text.
    path = tmp_path / "late.xml"
    path.write_bytes(
        b'<?xml version="1.0"?><!--'
        + b"x" * 100_000
        + b'--><!DOCTYPE d [<!ENTITY a "aaaa">]>'
        b"<Document><BkToCstmrStmt><Stmt>&a;</Stmt></BkToCstmrStmt></Document>"
    )

    with pytest.raises(ParseRejected, match="DOCTYPE"):
        stream(path, source_format="camt.053")
