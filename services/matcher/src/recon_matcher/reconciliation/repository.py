"""SQL of transactions, files and match groups."""

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.models import FileRecord, MatchGroupRecord, TransactionRecord


async def existing_transaction_ids(
    session: AsyncSession, transaction_ids: Iterable[str]
) -> set[str]:
    """Return which of `transaction_ids` are stored already."""
    ids = list(transaction_ids)
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        rows = await session.scalars(
            select(TransactionRecord.transaction_id).where(
                TransactionRecord.transaction_id.in_(batch)
            )
        )
        found.update(rows)
    return found


async def open_transactions(
    session: AsyncSession, *, reconciliation_id: str
) -> Sequence[TransactionRecord]:
    """Return the unmatched transactions of a reconciliation."""
    rows = await session.scalars(
        select(TransactionRecord).where(
            TransactionRecord.reconciliation_id == reconciliation_id,
            TransactionRecord.status == "open",
        )
    )
    return rows.all()


async def get_file(session: AsyncSession, file_id: str) -> FileRecord | None:
    """Return the file record, if the matcher has seen the file."""
    return await session.get(FileRecord, file_id)


async def reconciliation_counts(
    session: AsyncSession, *, reconciliation_id: str
) -> dict[str, int]:
    """Return the number of transactions of a reconciliation per status."""
    rows = await session.execute(
        select(TransactionRecord.status, func.count())
        .where(TransactionRecord.reconciliation_id == reconciliation_id)
        .group_by(TransactionRecord.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def list_groups(
    session: AsyncSession, *, reconciliation_id: str, limit: int, offset: int
) -> Sequence[MatchGroupRecord]:
    """Return a page of match groups of a reconciliation, newest first."""
    rows = await session.scalars(
        select(MatchGroupRecord)
        .where(MatchGroupRecord.reconciliation_id == reconciliation_id)
        .order_by(MatchGroupRecord.matched_at.desc(), MatchGroupRecord.group_id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all()
