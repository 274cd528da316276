"""Ledger entries posted by racing deliveries and by a parse that fails midway."""

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from recon_common.db import session_scope
from recon_common.events import FileStatus
from recon_ingest.models import PostedLedgerEntry
from recon_ingest.parsing import handlers, repository
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from .conftest import Ingest
from .ledgers import entry_id, ledger_csv


async def test_concurrent_files_post_entry_once(
    ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert = repository.add_posted_ledger_entries
    # Both parses wait here until both have looked their entries up, so neither
    # lookup finds the other's rows and only the unique constraint can stop a repeat.
    lookups_done = asyncio.Barrier(2)

    async def insert_after_both_lookups(
        session: AsyncSession, *, rows: Sequence[dict[str, object]]
    ) -> None:
        async with asyncio.timeout(30):
            await lookups_done.wait()
        await insert(session, rows=rows)

    monkeypatch.setattr(
        repository, "add_posted_ledger_entries", insert_after_both_lookups
    )
    first = await ingest.land("ledger-a.csv", ledger_csv(range(1, 6)).encode())
    second = await ingest.land("ledger-b.csv", ledger_csv(range(3, 9)).encode())

    outcomes = await asyncio.gather(
        ingest.parse(first), ingest.parse(second), return_exceptions=True
    )
    monkeypatch.setattr(repository, "add_posted_ledger_entries", insert)
    failed = [
        row
        for row, outcome in zip((first, second), outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    retried = await ingest.parse(failed[0]) if failed else None

    assert len(failed) == 1
    assert isinstance(errors[0], IntegrityError)
    assert retried is not None
    assert retried.status == FileStatus.PARSED.value
    published = [
        transaction["bank_reference"]
        for row in (first, second)
        for chunk in await ingest.published(row.file_id)
        for transaction in chunk["transactions"]
    ]
    assert Counter(published) == Counter(entry_id(n) for n in range(1, 9))
    async with session_scope(ingest.sessions) as session:
        posted = list(await session.scalars(select(PostedLedgerEntry.entry_id)))
    assert sorted(posted) == [entry_id(n) for n in range(1, 9)]


def _entry(*, bank_id: str, file_id: str) -> dict[str, object]:
    return {
        "bank_id": bank_id,
        "entry_key": "a" * 64,
        "entry_id": "JE0000001",
        "content_sha256": "b" * 64,
        "content": "{}",
        "file_id": file_id,
        "source_location": "line 2",
        "posted_at": datetime(2026, 12, 5, tzinfo=UTC),
    }


async def test_posted_entry_unique_per_bank_and_key(ingest: Ingest) -> None:
    row = await ingest.land("ledger.csv", ledger_csv([1]).encode())
    async with session_scope(ingest.sessions) as session:
        await repository.add_posted_ledger_entries(
            session, rows=[_entry(bank_id="bank-a", file_id=row.file_id)]
        )
    async with session_scope(ingest.sessions) as session:
        await repository.add_posted_ledger_entries(
            session, rows=[_entry(bank_id="bank-b", file_id=row.file_id)]
        )

    with pytest.raises(IntegrityError):
        async with session_scope(ingest.sessions) as session:
            await repository.add_posted_ledger_entries(
                session, rows=[_entry(bank_id="bank-a", file_id=row.file_id)]
            )


async def test_failed_parse_records_no_entries(
    ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = await ingest.land("ledger.csv", ledger_csv(range(1, 4)).encode())

    def fail_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit failed after the chunks were added")

    monkeypatch.setattr(handlers, "record_audit", fail_audit)
    with pytest.raises(RuntimeError):
        await ingest.parse(row)
    monkeypatch.undo()
    landed = await ingest.file(row.file_id)
    retried = await ingest.parse(row)

    assert landed.status == FileStatus.LANDED.value
    assert retried.status == FileStatus.PARSED.value
    assert retried.transaction_count == 3
    published = await ingest.published(row.file_id)
    assert [
        t["bank_reference"] for chunk in published for t in chunk["transactions"]
    ] == [
        entry_id(1),
        entry_id(2),
        entry_id(3),
    ]
