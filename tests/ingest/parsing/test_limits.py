"""Parser settings applied by the `file-landed` handler."""

from decimal import Decimal

from recon_common.events import FileStatus

from .conftest import Ingest
from .statements import mt940

STATEMENT = mt940()
CAMT = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
    b"<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr></BkToCstmrStmt></Document>"
)


async def test_file_over_max_bytes_rejected(ingest: Ingest) -> None:
    row = await ingest.land_and_parse(
        "big.sta", STATEMENT.encode(), parse_max_file_bytes=100
    )

    assert row.status == FileStatus.REJECTED.value
    assert row.rejection_reason is not None
    assert "INGEST_PARSE_MAX_FILE_BYTES" in row.rejection_reason
    assert f"{len(STATEMENT)} bytes" in row.rejection_reason


async def test_entries_over_max_rejected(ingest: Ingest) -> None:
    row = await ingest.land_and_parse(
        "two.sta", STATEMENT.encode(), parse_max_entries=1
    )

    assert row.status == FileStatus.REJECTED.value
    assert row.rejection_reason is not None
    assert "INGEST_PARSE_MAX_ENTRIES" in row.rejection_reason


async def test_line_over_max_chars_rejected(ingest: Ingest) -> None:
    row = await ingest.land_and_parse(
        "long.sta", STATEMENT.encode(), parse_max_line_chars=30
    )

    assert row.status == FileStatus.REJECTED.value
    assert row.rejection_reason is not None
    assert "INGEST_PARSE_MAX_LINE_CHARS" in row.rejection_reason


async def test_xml_over_max_depth_rejected(ingest: Ingest) -> None:
    row = await ingest.land_and_parse("deep.xml", CAMT, parse_max_xml_depth=2)

    assert row.status == FileStatus.REJECTED.value
    assert row.rejection_reason is not None
    assert "INGEST_PARSE_MAX_XML_DEPTH" in row.rejection_reason


async def test_balance_mismatch_rejected(ingest: Ingest) -> None:
    wrong = STATEMENT.replace(":62F:C261203EUR1174,50", ":62F:C261203EUR1174,51")

    row = await ingest.land_and_parse(
        "wrong.sta", wrong.encode(), balance_mismatch="reject"
    )

    assert row.status == FileStatus.REJECTED.value
    assert row.rejection_reason is not None
    assert "closing balance is 1174.51" in row.rejection_reason


async def test_balance_mismatch_warned_by_default(ingest: Ingest) -> None:
    wrong = STATEMENT.replace(":62F:C261203EUR1174,50", ":62F:C261203EUR1174,51")

    row = await ingest.land_and_parse("wrong.sta", wrong.encode())

    assert row.status == FileStatus.PARSED.value
    assert row.warnings is not None
    assert "closing balance is 1174.51" in row.warnings


async def test_forced_encoding_used(ingest: Ingest) -> None:
    text = mt940(amounts=(Decimal("1.00"),)).replace("Payment 1", "Zahlung Müller")

    row = await ingest.land_and_parse(
        "latin.sta", text.encode("cp852"), encoding="cp852"
    )

    assert row.status == FileStatus.PARSED.value
    assert row.encoding == "cp852"
