"""Ledger entries sent again in a later file, through the `file-landed` handler."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

from recon_common.db import session_scope
from recon_common.events import FileStatus, RecordKind
from recon_ingest.models import LandedFile
from recon_ingest.parsers import LEDGER_PROFILE, CsvProfile

from .conftest import Ingest
from .ledgers import entry_id, ledger_csv, ledger_row


def _transactions(published: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for chunk in published for t in chunk["transactions"]]


def _warnings(text: str | None) -> str:
    assert text is not None
    return text


# A ledger extract with separate debit and credit columns, which hold no sign.
SPLIT_PROFILE = CsvProfile(
    record_kind=RecordKind.LEDGER,
    date_column="date",
    debit_column="debit",
    credit_column="credit",
    currency="EUR",
    account="GL-1",
    bank_reference_column="entry_id",
)


def _split_csv(debit: str) -> bytes:
    return f"date,debit,credit,entry_id\n2026-12-01,{debit},,JE1\n".encode()


async def _land_and_parse_as(
    ingest: Ingest, profile: str, filename: str, data: bytes
) -> LandedFile:
    """Land `data` as a file of a user with CSV profile `profile` and parse it."""
    row = await ingest.land(filename, data)
    async with session_scope(ingest.sessions) as session:
        stored = await session.get(LandedFile, row.file_id)
        assert stored is not None
        stored.csv_profile = profile
    return await ingest.parse(await ingest.file(row.file_id))


async def test_resent_ledger_posts_only_new_entry(ingest: Ingest) -> None:
    earlier = await ingest.land_and_parse(
        "ledger-extract.csv", ledger_csv(range(1, 214)).encode()
    )

    resent = await ingest.land_and_parse(
        "ledger-extract-resent.csv", ledger_csv(range(1, 215)).encode()
    )

    assert earlier.transaction_count == 213
    assert resent.status == FileStatus.PARSED.value
    assert resent.transaction_count == 1
    published = await ingest.published(resent.file_id)
    assert [t["bank_reference"] for t in _transactions(published)] == [entry_id(214)]
    assert len(published) == 1
    assert published[0]["file"]["transaction_count"] == 1
    warnings = _warnings(resent.warnings)
    assert (
        f"214 entries, 213 already received in ledger-extract.csv ({earlier.file_id})"
        in warnings
    )
    assert "1 new" in warnings


async def test_resent_ledger_all_received(ingest: Ingest) -> None:
    earlier = await ingest.land_and_parse(
        "ledger-extract.csv", ledger_csv(range(1, 11)).encode()
    )

    part = await ingest.land_and_parse(
        "ledger-part.csv", ledger_csv(range(3, 8)).encode()
    )

    assert part.status == FileStatus.PARSED.value
    assert part.transaction_count == 0
    published = await ingest.published(part.file_id)
    assert len(published) == 1
    assert published[0]["transactions"] == []
    assert published[0]["file"]["status"] == "parsed"
    warnings = _warnings(part.warnings)
    assert "5 entries, all already received in ledger-extract.csv" in warnings
    assert earlier.file_id in warnings


async def test_resent_ledger_names_each_earlier_file(ingest: Ingest) -> None:
    first = await ingest.land_and_parse("day1.csv", ledger_csv(range(1, 4)).encode())
    second = await ingest.land_and_parse("day2.csv", ledger_csv(range(4, 7)).encode())

    cumulative = await ingest.land_and_parse(
        "days1-3.csv", ledger_csv(range(1, 9)).encode()
    )

    assert cumulative.transaction_count == 2
    published = await ingest.published(cumulative.file_id)
    assert [t["bank_reference"] for t in _transactions(published)] == [
        entry_id(7),
        entry_id(8),
    ]
    warnings = _warnings(cumulative.warnings)
    assert (
        f"6 already received in day1.csv ({first.file_id}) and day2.csv "
        f"({second.file_id})" in warnings
    )


async def test_changed_entry_not_posted(ingest: Ingest) -> None:
    earlier = await ingest.land_and_parse(
        "ledger.csv", ledger_csv(range(1, 6)).encode()
    )
    amended = ledger_csv(range(1, 7), amounts={3: Decimal("999.99")})

    later = await ingest.land_and_parse("ledger-amended.csv", amended.encode())

    assert later.status == FileStatus.PARSED.value
    assert later.transaction_count == 1
    published = await ingest.published(later.file_id)
    assert [t["bank_reference"] for t in _transactions(published)] == [entry_id(6)]
    warnings = _warnings(later.warnings)
    assert "1 received earlier with other values and not posted" in warnings
    assert f"line 4: entry {entry_id(3)} was already posted" in warnings
    assert f"ledger.csv ({earlier.file_id}) at line 4" in warnings
    assert "amount (was 3.25, now 999.99)" in warnings
    assert "send a reversal" in warnings


async def test_changed_entry_zero_new_summary(ingest: Ingest) -> None:
    await ingest.land_and_parse("ledger.csv", ledger_csv(range(1, 6)).encode())
    amended = ledger_csv(range(1, 6), amounts={3: Decimal("999.99")})

    later = await ingest.land_and_parse("ledger-amended.csv", amended.encode())

    assert later.transaction_count == 0
    warnings = _warnings(later.warnings)
    assert "(see the next warnings), 0 new; nothing was posted" in warnings
    assert "Only the new entries were posted" not in warnings


async def test_changed_debit_amount_keeps_sign(ingest: Ingest) -> None:
    await ingest.land_and_parse(
        "ledger.csv", ledger_csv([1], amounts={1: Decimal("-30.20")}).encode()
    )
    amended = ledger_csv([1], amounts={1: Decimal("-31.20")})

    later = await ingest.land_and_parse("ledger-amended.csv", amended.encode())

    warnings = _warnings(later.warnings)
    assert "amount (was -30.20, now -31.20)" in warnings


async def test_changed_amount_debit_positive_sign(ingest: Ingest) -> None:
    # Under debit_positive the file shows a debit as 30.20 and a credit as -31.20.
    ingest.csv_profiles["payments"] = replace(
        LEDGER_PROFILE, sign_convention="debit_positive"
    )
    await _land_and_parse_as(
        ingest,
        "payments",
        "ledger.csv",
        ledger_csv([1], amounts={1: Decimal("30.20")}).encode(),
    )

    later = await _land_and_parse_as(
        ingest,
        "payments",
        "ledger-amended.csv",
        ledger_csv([1], amounts={1: Decimal("-31.20")}).encode(),
    )

    warnings = _warnings(later.warnings)
    assert "amount (was 30.20, now -31.20)" in warnings
    assert "direction (was debit, now credit)" in warnings


async def test_changed_amount_split_columns_named(ingest: Ingest) -> None:
    ingest.csv_profiles["split"] = SPLIT_PROFILE
    await _land_and_parse_as(ingest, "split", "ledger.csv", _split_csv("30.20"))

    later = await _land_and_parse_as(
        ingest, "split", "ledger-amended.csv", _split_csv("31.20")
    )

    warnings = _warnings(later.warnings)
    assert "amount (was 30.20 debit, now 31.20 debit)" in warnings


async def test_changed_entries_listed_up_to_limit(ingest: Ingest) -> None:
    await ingest.land_and_parse("ledger.csv", ledger_csv(range(1, 16)).encode())
    changed = {number: Decimal("1.00") for number in range(1, 16)}

    later = await ingest.land_and_parse(
        "ledger-amended.csv", ledger_csv(range(1, 16), amounts=changed).encode()
    )

    assert later.transaction_count == 0
    warnings = _warnings(later.warnings)
    assert warnings.count("was already posted from ledger.csv") == 10
    assert entry_id(10) in warnings
    assert entry_id(11) not in warnings
    assert "5 more entries were already posted with other values" in warnings


async def test_changed_description_named_without_values(ingest: Ingest) -> None:
    await ingest.land_and_parse("ledger.csv", ledger_csv([1]).encode())
    renamed = ledger_row(1).replace("Invoice 1,", "Invoice 1 revised,")

    later = await ingest.land_and_parse(
        "ledger-renamed.csv", ledger_csv([], extra_rows=[renamed]).encode()
    )

    assert later.transaction_count == 0
    warnings = _warnings(later.warnings)
    assert "with a different remittance_info, so it was not posted" in warnings
    assert "revised" not in warnings


async def test_rows_without_entry_id_posted_again(ingest: Ingest) -> None:
    rows = [ledger_row(1), ledger_row(2, entry=""), ledger_row(3, entry="")]
    await ingest.land_and_parse("ledger.csv", ledger_csv([], extra_rows=rows).encode())

    later = await ingest.land_and_parse(
        "ledger-again.csv", ledger_csv([4], extra_rows=rows).encode()
    )

    assert later.transaction_count == 3
    published = await ingest.published(later.file_id)
    assert [t["bank_reference"] for t in _transactions(published)] == [
        entry_id(4),
        None,
        None,
    ]


async def test_same_entry_id_other_account_posted(ingest: Ingest) -> None:
    await ingest.land_and_parse("ledger.csv", ledger_csv([1]).encode())
    other = ledger_row(1, account="GL-900900")

    later = await ingest.land_and_parse(
        "ledger-other.csv", ledger_csv([1], extra_rows=[other]).encode()
    )

    assert later.transaction_count == 1
    published = await ingest.published(later.file_id)
    assert [t["account"] for t in _transactions(published)] == ["GL-900900"]


async def test_repeated_entry_id_in_file_posted_twice(ingest: Ingest) -> None:
    twice = ledger_csv([1, 2], extra_rows=[ledger_row(1)])

    parsed = await ingest.land_and_parse("ledger.csv", twice.encode())

    assert parsed.status == FileStatus.PARSED.value
    assert parsed.transaction_count == 3
    warnings = _warnings(parsed.warnings)
    assert f"1 entry id appears on more than one row of this file ({entry_id(1)})" in (
        warnings
    )


async def test_repeated_entry_id_skipped_in_later_file(ingest: Ingest) -> None:
    twice = ledger_csv([1, 2], extra_rows=[ledger_row(1)])
    await ingest.land_and_parse("ledger.csv", twice.encode())

    later = await ingest.land_and_parse(
        "ledger-later.csv", ledger_csv([1, 3], extra_rows=[ledger_row(1)]).encode()
    )

    assert later.transaction_count == 1
    published = await ingest.published(later.file_id)
    assert [t["bank_reference"] for t in _transactions(published)] == [entry_id(3)]


async def test_rejected_file_entries_not_recorded(ingest: Ingest) -> None:
    invalid_row = "2026-12-01,2026-12-01,abc,EUR,INV-9,JE9,GL-100200,Invoice,Customer"
    broken = ledger_csv([1, 2], extra_rows=[invalid_row])
    rejected = await ingest.land_and_parse("ledger-broken.csv", broken.encode())

    first = await ingest.land_and_parse("ledger.csv", ledger_csv([1, 2]).encode())
    again = await ingest.land_and_parse("ledger-again.csv", ledger_csv([2, 1]).encode())

    assert rejected.status == FileStatus.REJECTED.value
    assert first.transaction_count == 2
    assert again.transaction_count == 0
