"""SQL of transactions, files and match groups."""

from collections.abc import Iterable, Sequence
from typing import Final, Protocol, cast

from recon_common.events import ReconciliationSummary
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.breaks.records import LIVE_STATES
from recon_matcher.breaks.storage import BreakItem
from recon_matcher.definitions.models import Definition
from recon_matcher.models import (
    BreakRecord,
    FileRecord,
    MatchGroupRecord,
    TransactionRecord,
)
from recon_matcher.reconciliation import states
from recon_matcher.reconciliation.bulk import id_batches, is_postgresql, table_of

# Keys per read of open transactions by primary key.
_BY_KEY_BATCH: Final = 1_000


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


class OpenItem(BreakItem, Protocol):
    """The columns of a stored transaction that a matching run reads."""

    @property
    def body(self) -> str: ...


# The columns that `open_transactions` reads: no ORM instance is built per row.
_OPEN_COLUMNS: Final = (
    "transaction_id",
    "reconciliation_id",
    "side",
    "amount",
    "value_date",
    "received_at",
    "body",
)


async def open_transactions(
    session: AsyncSession,
    *,
    reconciliation_id: str,
    new_ids: Sequence[str] = (),
) -> dict[str, OpenItem]:
    """Return the open transactions of a reconciliation by id (see `states`).

    Every open item that has been through a matching run has a live break, and a
    live break belongs to an item in no group (storing a group closes its items'
    breaks). So the read starts from the reconciliation's live breaks and adds
    those of `new_ids`, the items stored since, that are open. Its cost follows
    the open items, not the whole history of the reconciliation. The rows are
    plain result rows of the columns a run reads, not `TransactionRecord`
    instances, which cost an identity map entry and attribute tracking each.
    """
    live_ids = await session.scalars(
        select(BreakRecord.transaction_id).where(
            BreakRecord.reconciliation_id == reconciliation_id,
            BreakRecord.state.in_(sorted(LIVE_STATES)),
        )
    )
    found: dict[str, OpenItem] = {}
    postgresql = await is_postgresql(session)
    table = table_of(TransactionRecord)
    columns = [table.c[name] for name in _OPEN_COLUMNS]
    # By key in batches, so that the database reads the open rows through the
    # primary key instead of scanning the whole table for a join.
    for condition in id_batches(
        table.c.transaction_id,
        list(live_ids),
        postgresql=postgresql,
        array_batch=_BY_KEY_BATCH,
    ):
        batch = await session.execute(select(*columns).where(condition))
        found.update((row.transaction_id, cast(OpenItem, row)) for row in batch)
    missing = [key for key in dict.fromkeys(new_ids) if key not in found]
    for condition in id_batches(table.c.transaction_id, missing, postgresql=postgresql):
        batch = await session.execute(
            select(*columns).where(
                condition,
                table.c.reconciliation_id == reconciliation_id,
                states.is_open(),
            )
        )
        found.update((row.transaction_id, cast(OpenItem, row)) for row in batch)
    return found


async def get_file(session: AsyncSession, file_id: str) -> FileRecord | None:
    """Return the file record, if the matcher has seen the file."""
    return await session.get(FileRecord, file_id)


async def reconciliation_counts(
    session: AsyncSession, *, reconciliation_id: str
) -> dict[str, int]:
    """Return the number of transactions of a reconciliation per state."""
    return await states.status_counts(session, reconciliation_id=reconciliation_id)


async def reconciliation_summary(
    session: AsyncSession, *, definition: Definition
) -> ReconciliationSummary:
    """Return the current counts of a reconciliation for `matches-produced`.

    `matched` counts every item of a live group, proposed groups included, as the
    reporting pages describe it.
    """
    counts = await reconciliation_counts(session, reconciliation_id=definition.id)
    return ReconciliationSummary(
        reconciliation_id=definition.id,
        name=definition.name,
        transactions=sum(counts.values()),
        matched=counts.get(states.MATCHED, 0) + counts.get(states.PROPOSED, 0),
        open_breaks=counts.get(states.OPEN, 0),
    )


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
