"""Forming and dissolving match groups and keeping the break records in step.

A transaction's `status` is open while it has an open break, matched or proposed while
it is in a live group, and written_off once an approved write-off or force-close ends
it. The `match_group_items` primary key on `transaction_id` keeps one item out of
two live groups, whatever the code above it does.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from recon_common.events import (
    BreakReason,
    GroupOrigin,
    MatchGroup,
    MatchGroupStatus,
)
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.breaks.records import age_basis_for
from recon_matcher.breaks.storage import close_breaks, load_break_values, open_breaks
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import Definition
from recon_matcher.models import MatchGroupItem, MatchGroupRecord, TransactionRecord
from recon_matcher.reconciliation.bulk import (
    id_batches,
    insert_rows,
    is_postgresql,
    mark_grouped,
    mark_ungrouped,
    set_loaded,
    table_of,
)
from recon_matcher.settings import MatcherSettings

OPEN = "open"
MATCHED = "matched"
PROPOSED = "proposed"
UNASSIGNED = "unassigned"
WRITTEN_OFF = "written_off"
CLOSED = "closed"
# Group statuses of dissolved groups whose row stays as a tombstone, so the engine
# does not form the same group again after an operator undid it.
UNMATCHED = "unmatched"
REJECTED = "rejected"
LIVE_GROUP_STATUSES = frozenset({MatchGroupStatus.CONFIRMED.value, PROPOSED})

_GROUPS: Final = table_of(MatchGroupRecord)
_ITEMS: Final = table_of(MatchGroupItem)


def group_values(group: MatchGroup) -> dict[str, Any]:
    """Return the column values of the row of a group contract."""
    return {
        "group_id": group.group_id,
        "reconciliation_id": group.reconciliation_id,
        "pass_name": group.pass_name,
        "status": group.status.value,
        "score": group.score,
        "amount_difference": group.amount_difference,
        "days_apart": group.days_apart,
        "explanation": group.explanation,
        "matched_at": group.matched_at,
        "origin": group.origin.value,
        "created_by": None,
        "reason": None,
        "reviewed_by": None,
    }


def group_record(group: MatchGroup) -> MatchGroupRecord:
    """Return the row of a group contract as an ORM instance."""
    return MatchGroupRecord(**group_values(group))


def group_contract(row: MatchGroupRecord, transaction_ids: list[str]) -> MatchGroup:
    """Return the event contract of a stored group."""
    return MatchGroup(
        group_id=row.group_id,
        reconciliation_id=row.reconciliation_id,
        pass_name=row.pass_name,
        transaction_ids=transaction_ids,
        score=row.score,
        amount_difference=row.amount_difference,
        days_apart=row.days_apart,
        explanation=row.explanation,
        matched_at=row.matched_at,
        status=MatchGroupStatus(row.status),
        origin=GroupOrigin(row.origin),
    )


async def store_groups(
    session: AsyncSession,
    *,
    groups: Sequence[tuple[MatchGroup, MatchGroupRecord | None]],
    records: Mapping[str, TransactionRecord],
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Insert groups, move their items into them and close the items' breaks.

    Each entry is a contract and, for a manual group, its prepared row. The engine's
    groups and every item go in with set-based statements (see `bulk`).
    """
    prepared = [row for _, row in groups if row is not None]
    session.add_all(prepared)
    await insert_rows(
        session,
        _GROUPS,
        [group_values(group) for group, row in groups if row is None],
    )
    item_ids: list[str] = []
    confirmed_ids: list[str] = []
    proposed_ids: list[str] = []
    items: list[dict[str, str]] = []
    for group, _ in groups:
        confirmed = group.status is MatchGroupStatus.CONFIRMED
        status = MATCHED if confirmed else PROPOSED
        for transaction_id in group.transaction_ids:
            set_loaded(
                records[transaction_id], {"status": status, "group_id": group.group_id}
            )
            items.append({"transaction_id": transaction_id, "group_id": group.group_id})
            (confirmed_ids if confirmed else proposed_ids).append(transaction_id)
            item_ids.append(transaction_id)
    # Items before statuses: mark_grouped reads each group id from its item.
    await insert_rows(session, _ITEMS, items)
    await mark_grouped(session, transaction_ids=confirmed_ids, status=MATCHED)
    await mark_grouped(session, transaction_ids=proposed_ids, status=PROPOSED)
    closed = await close_breaks(session, transaction_ids=item_ids, now=now)
    changes.closed_break_ids.extend(tid for tid in item_ids if tid in closed)
    changes.groups.extend(group for group, _ in groups)


async def tombstoned_ids(session: AsyncSession, group_ids: Sequence[str]) -> set[str]:
    """Return which of `group_ids` an operator dissolved before."""
    await session.flush()
    postgresql = await is_postgresql(session)
    found: set[str] = set()
    for condition in id_batches(_GROUPS.c.group_id, group_ids, postgresql=postgresql):
        rows = await session.scalars(
            select(_GROUPS.c.group_id).where(
                condition, _GROUPS.c.status.in_([UNMATCHED, REJECTED])
            )
        )
        found.update(rows)
    return found


async def group_items(session: AsyncSession, group_id: str) -> list[str]:
    """Return the transaction ids of a live group, in insertion order."""
    rows = await session.scalars(
        select(MatchGroupItem.transaction_id)
        .where(MatchGroupItem.group_id == group_id)
        .order_by(MatchGroupItem.transaction_id)
    )
    return list(rows)


async def dissolve_groups(
    session: AsyncSession,
    *,
    rows: Sequence[MatchGroupRecord],
    definition: Definition,
    settings: MatcherSettings,
    changes: MatchChanges,
    now: datetime,
    tombstone: str | None = None,
) -> list[str]:
    """Dissolve groups, return their items to open breaks and return the item ids.

    With `tombstone` the rows stay with that status and no items, so that the
    engine's stable group id cannot form the same group again. Without it the rows
    are deleted.
    """
    if not rows:
        return []
    group_ids = [row.group_id for row in rows]
    item_ids = list(
        await session.scalars(
            select(MatchGroupItem.transaction_id).where(
                MatchGroupItem.group_id.in_(group_ids)
            )
        )
    )
    await session.execute(
        delete(MatchGroupItem).where(MatchGroupItem.group_id.in_(group_ids))
    )
    for row in rows:
        if tombstone is None:
            await session.delete(row)
        else:
            row.status = tombstone
    await session.flush()
    records = await _transactions(session, item_ids)
    await reopen_breaks(
        session,
        records=records,
        reasons={},
        definition=definition,
        settings=settings,
        changes=changes,
        now=now,
    )
    changes.dissolved_group_ids.extend(group_ids)
    return item_ids


async def reopen_breaks(
    session: AsyncSession,
    *,
    records: Sequence[TransactionRecord],
    reasons: dict[str, BreakReason],
    definition: Definition,
    settings: MatcherSettings,
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Set `records` open and open or reopen a break for each."""
    ids = [record.transaction_id for record in records]
    await mark_ungrouped(session, transaction_ids=ids, status=OPEN)
    for record in records:
        set_loaded(record, {"status": OPEN, "group_id": None})
    changes.opened_breaks.extend(
        await open_breaks(
            session,
            records=records,
            existing=await load_break_values(session, ids),
            reasons=reasons,
            basis=age_basis_for(definition, settings=settings),
            now=now,
        )
    )


async def _transactions(
    session: AsyncSession, transaction_ids: Sequence[str]
) -> list[TransactionRecord]:
    found: list[TransactionRecord] = []
    for start in range(0, len(transaction_ids), 500):
        batch = transaction_ids[start : start + 500]
        rows = await session.scalars(
            select(TransactionRecord).where(TransactionRecord.transaction_id.in_(batch))
        )
        found.extend(rows)
    return found
