"""Forming and dissolving match groups and keeping the break records in step.

A transaction's `status` is open while a break holds it, matched or proposed while a
live group holds it, and written_off once an approved write-off or force-close ends
it. The `match_group_items` primary key on `transaction_id` keeps one item out of
two live groups, whatever the code above it does.
"""

from collections.abc import Sequence
from datetime import datetime

from recon_common.events import (
    BreakReason,
    GroupOrigin,
    MatchGroup,
    MatchGroupStatus,
)
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.breaks.records import (
    age_basis_for,
    break_contract,
    close_break,
    load_breaks,
    open_break,
)
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import Definition
from recon_matcher.models import MatchGroupItem, MatchGroupRecord, TransactionRecord
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


def group_record(group: MatchGroup) -> MatchGroupRecord:
    """Return the row of a group contract."""
    return MatchGroupRecord(
        group_id=group.group_id,
        reconciliation_id=group.reconciliation_id,
        pass_name=group.pass_name,
        status=group.status.value,
        score=group.score,
        amount_difference=group.amount_difference,
        days_apart=group.days_apart,
        explanation=group.explanation,
        matched_at=group.matched_at,
        origin=group.origin.value,
    )


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
    records: dict[str, TransactionRecord],
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Insert groups, move their items into them and close the items' breaks.

    Each entry is a contract and, for a manual group, its prepared row.
    """
    for group, row in groups:
        session.add(row if row is not None else group_record(group))
    # Groups first: without ORM relationships the flush does not order the inserts
    # by the items' foreign key.
    await session.flush()
    item_ids = [tid for group, _ in groups for tid in group.transaction_ids]
    breaks = await load_breaks(session, item_ids)
    for group, _ in groups:
        confirmed = group.status is MatchGroupStatus.CONFIRMED
        for transaction_id in group.transaction_ids:
            record = records[transaction_id]
            record.status = MATCHED if confirmed else PROPOSED
            record.group_id = group.group_id
            session.add(
                MatchGroupItem(transaction_id=transaction_id, group_id=group.group_id)
            )
            if close_break(breaks.get(transaction_id), now=now):
                changes.closed_break_ids.append(transaction_id)
        changes.groups.append(group)
    await session.flush()


async def tombstoned_ids(session: AsyncSession, group_ids: Sequence[str]) -> set[str]:
    """Return which of `group_ids` an operator dissolved before."""
    found: set[str] = set()
    for start in range(0, len(group_ids), 500):
        rows = await session.scalars(
            select(MatchGroupRecord.group_id).where(
                MatchGroupRecord.group_id.in_(group_ids[start : start + 500]),
                MatchGroupRecord.status.in_([UNMATCHED, REJECTED]),
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
    basis = age_basis_for(definition, settings=settings)
    existing = await load_breaks(session, [record.transaction_id for record in records])
    for record in records:
        record.status = OPEN
        record.group_id = None
        row = open_break(
            session,
            record=record,
            existing=existing.get(record.transaction_id),
            reason=reasons.get(record.transaction_id, BreakReason.NO_COUNTERPART),
            basis=basis,
            now=now,
        )
        changes.opened_breaks.append(break_contract(row))
    await session.flush()


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
