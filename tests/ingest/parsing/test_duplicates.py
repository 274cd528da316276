"""Repeated files and statements through the `file-landed` handler."""

from decimal import Decimal

from recon_common.events import FileStatus

from .conftest import Ingest
from .statements import mt940

FIRST = mt940(reference="STMT-0001", sequence="00042/001")
SECOND = mt940(
    reference="STMT-0002",
    sequence="00043/001",
    opening=Decimal("1174.50"),
    amounts=(Decimal("10.00"), Decimal("20.00"), Decimal("-5.00")),
)


async def test_duplicate_file_rejected_by_default(ingest: Ingest) -> None:
    earlier = await ingest.land_and_parse("day1.sta", FIRST.encode())

    again = await ingest.land_and_parse("day1-again.sta", FIRST.encode())

    assert again.status == FileStatus.REJECTED.value
    assert again.rejection_reason is not None
    assert "day1.sta" in again.rejection_reason
    assert earlier.file_id in again.rejection_reason
    published = await ingest.published(again.file_id)
    assert published[0]["transactions"] == []


async def test_duplicate_file_accepted_without_transactions(ingest: Ingest) -> None:
    earlier = await ingest.land_and_parse("day1.sta", FIRST.encode())

    again = await ingest.land_and_parse(
        "day1-again.sta", FIRST.encode(), duplicate_files="accept"
    )

    assert again.status == FileStatus.PARSED.value
    assert again.transaction_count == 0
    assert again.source_format == "mt940"
    assert again.warnings is not None
    assert earlier.file_id in again.warnings
    published = await ingest.published(again.file_id)
    assert len(published) == 1
    assert published[0]["transactions"] == []
    assert published[0]["file"]["status"] == "parsed"


async def test_duplicate_statement_rejected_by_default(ingest: Ingest) -> None:
    earlier = await ingest.land_and_parse("day1.sta", FIRST.encode())

    combined = await ingest.land_and_parse("day1-2.sta", (FIRST + SECOND).encode())

    assert combined.status == FileStatus.REJECTED.value
    assert combined.rejection_reason is not None
    assert "day1.sta" in combined.rejection_reason
    assert earlier.file_id in combined.rejection_reason
    assert "STMT-0001" in combined.rejection_reason
    published = await ingest.published(combined.file_id)
    assert published[0]["transactions"] == []


async def test_duplicate_statement_skipped(ingest: Ingest) -> None:
    earlier = await ingest.land_and_parse("day1.sta", FIRST.encode())

    combined = await ingest.land_and_parse(
        "day1-2.sta", (FIRST + SECOND).encode(), duplicate_statements="skip"
    )

    assert combined.status == FileStatus.PARSED.value
    assert combined.transaction_count == 3
    assert combined.warnings is not None
    assert earlier.file_id in combined.warnings
    assert "STMT-0001" in combined.warnings
    published = await ingest.published(combined.file_id)
    transactions = [t for chunk in published for t in chunk["transactions"]]
    assert {t["statement_id"] for t in transactions} == {"STMT-0002"}
    statements = [s for chunk in published for s in chunk["statements"]]
    assert [s["statement_id"] for s in statements] == ["STMT-0002"]


async def test_skipped_file_statements_still_recorded(ingest: Ingest) -> None:
    await ingest.land_and_parse("day1.sta", FIRST.encode())
    combined = await ingest.land_and_parse(
        "day1-2.sta", (FIRST + SECOND).encode(), duplicate_statements="skip"
    )

    late = await ingest.land_and_parse("day2.sta", SECOND.encode())

    assert late.status == FileStatus.REJECTED.value
    assert late.rejection_reason is not None
    assert combined.file_id in late.rejection_reason


async def test_statement_other_balances_not_repeat(ingest: Ingest) -> None:
    await ingest.land_and_parse("day1.sta", FIRST.encode())
    corrected = mt940(
        reference="STMT-0001", sequence="00042/001", opening=Decimal("999.00")
    )

    later = await ingest.land_and_parse("day1-corrected.sta", corrected.encode())

    assert later.status == FileStatus.PARSED.value
    assert later.transaction_count == 2


async def test_rejected_file_statements_not_recorded(ingest: Ingest) -> None:
    await ingest.land_and_parse("day1.sta", FIRST.encode())
    await ingest.land_and_parse("day1-2.sta", (FIRST + SECOND).encode())

    second = await ingest.land_and_parse("day2.sta", SECOND.encode())

    assert second.status == FileStatus.PARSED.value
    assert second.transaction_count == 3
