"""The ORM storage path as it was before the bulk path, kept as the test's reference.

Each function writes one ORM object per row, as the matcher did before it moved to
set-based statements. The equivalence tests run a scenario through both paths on
separate databases and compare the stored rows, so this code is frozen on purpose:
change it only if the intended rows change.

The match state is no longer a column. These functions keep it in a `statuses` dict
instead, set step by step as the old `transactions.status` column was, so the tests
can check the state that `reconciliation.states` derives against it.
"""

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from recon_common.events import (
    BreakAgeBasis,
    BreakReason,
    BreakState,
    MatchGroup,
    MatchGroupStatus,
)
from recon_matcher.breaks.records import LIVE_STATES, break_contract
from recon_matcher.changes import MatchChanges
from recon_matcher.engine.breaks import amount_band
from recon_matcher.models import (
    BreakRecord,
    MatchGroupItem,
    MatchGroupRecord,
    TransactionRecord,
)
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_transactions(
    session: AsyncSession,
    rows: Sequence[Mapping[str, Any]],
    *,
    statuses: dict[str, str],
) -> None:
    """Add one ORM object per transaction row, all open, and flush."""
    for row in rows:
        session.add(TransactionRecord(**row))
        statuses[row["transaction_id"]] = "open"
    await session.flush()


async def load_breaks(
    session: AsyncSession, transaction_ids: Collection[str]
) -> dict[str, BreakRecord]:
    """Return the break records of `transaction_ids` by transaction id."""
    ids = sorted(set(transaction_ids))
    found: dict[str, BreakRecord] = {}
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(BreakRecord).where(
                BreakRecord.transaction_id.in_(ids[start : start + 500])
            )
        )
        found.update((row.transaction_id, row) for row in rows)
    return found


def open_break(
    session: AsyncSession,
    *,
    record: TransactionRecord,
    existing: BreakRecord | None,
    reason: BreakReason,
    basis: BreakAgeBasis,
    now: datetime,
) -> BreakRecord:
    """Open a break for `record`, or reopen its earlier one with a new reason."""
    age_date = (
        record.value_date
        if basis is BreakAgeBasis.VALUE_DATE
        else record.received_at.astimezone(UTC).date()
    )
    if existing is None:
        existing = BreakRecord(
            transaction_id=record.transaction_id,
            reconciliation_id=record.reconciliation_id or "",
            side=record.side or "",
            opened_at=now,
        )
        session.add(existing)
    existing.reason = reason.value
    existing.state = (
        BreakState.ASSIGNED.value if existing.assignee else BreakState.OPEN.value
    )
    existing.age_basis = basis.value
    existing.age_date = age_date
    existing.amount_band = amount_band(record.amount)
    existing.updated_at = now
    return existing


def close_break(existing: BreakRecord | None, *, now: datetime) -> bool:
    """Mark a live break closed; return whether there was one to close."""
    if existing is None or existing.state not in LIVE_STATES:
        return False
    existing.state = BreakState.CLOSED.value
    existing.updated_at = now
    return True


async def store_groups(
    session: AsyncSession,
    *,
    groups: Sequence[MatchGroup],
    statuses: dict[str, str],
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Insert groups, move their items into them and close the items' breaks."""
    for group in groups:
        session.add(
            MatchGroupRecord(
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
        )
    await session.flush()
    item_ids = [tid for group in groups for tid in group.transaction_ids]
    breaks = await load_breaks(session, item_ids)
    for group in groups:
        confirmed = group.status is MatchGroupStatus.CONFIRMED
        for transaction_id in group.transaction_ids:
            statuses[transaction_id] = "matched" if confirmed else "proposed"
            session.add(
                MatchGroupItem(transaction_id=transaction_id, group_id=group.group_id)
            )
            if close_break(breaks.get(transaction_id), now=now):
                changes.closed_break_ids.append(transaction_id)
        changes.groups.append(group)
    await session.flush()


async def sync_breaks(
    session: AsyncSession,
    *,
    unmatched: Sequence[str],
    reasons: Mapping[str, BreakReason],
    records: Mapping[str, TransactionRecord],
    basis: BreakAgeBasis,
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Open a break for each unmatched item without one and refresh the reasons."""
    existing = await load_breaks(session, unmatched)
    for transaction_id in unmatched:
        reason = reasons.get(transaction_id, BreakReason.NO_COUNTERPART)
        row = existing.get(transaction_id)
        if row is not None and row.state in LIVE_STATES:
            if row.reason != reason.value:
                row.reason = reason.value
                row.updated_at = now
                changes.updated_breaks.append(break_contract(row))
            continue
        row = open_break(
            session,
            record=records[transaction_id],
            existing=row,
            reason=reason,
            basis=basis,
            now=now,
        )
        changes.opened_breaks.append(break_contract(row))
    await session.flush()


async def store_result(
    session: AsyncSession,
    *,
    formed: Sequence[MatchGroup],
    break_ids: Sequence[str],
    reasons: Mapping[str, BreakReason],
    records: Mapping[str, TransactionRecord],
    statuses: dict[str, str],
    basis: BreakAgeBasis,
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Store a matching run: skip tombstoned groups, store groups, sync breaks."""
    rows = await session.scalars(
        select(MatchGroupRecord.group_id).where(
            MatchGroupRecord.group_id.in_([group.group_id for group in formed]),
            MatchGroupRecord.status.in_(["unmatched", "rejected"]),
        )
    )
    blocked = set(rows)
    await store_groups(
        session,
        groups=[group for group in formed if group.group_id not in blocked],
        statuses=statuses,
        changes=changes,
        now=now,
    )
    unmatched = list(break_ids)
    for group in formed:
        if group.group_id in blocked:
            unmatched.extend(group.transaction_ids)
    await sync_breaks(
        session,
        unmatched=unmatched,
        reasons=reasons,
        records=records,
        basis=basis,
        changes=changes,
        now=now,
    )


async def dissolve_group(
    session: AsyncSession,
    *,
    row: MatchGroupRecord,
    statuses: dict[str, str],
    basis: BreakAgeBasis,
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Delete a group and return its items to open breaks."""
    item_ids = list(
        await session.scalars(
            select(MatchGroupItem.transaction_id).where(
                MatchGroupItem.group_id == row.group_id
            )
        )
    )
    await session.execute(
        delete(MatchGroupItem).where(MatchGroupItem.group_id == row.group_id)
    )
    await session.delete(row)
    await session.flush()
    records = list(
        await session.scalars(
            select(TransactionRecord).where(
                TransactionRecord.transaction_id.in_(item_ids)
            )
        )
    )
    existing = await load_breaks(session, item_ids)
    for record in records:
        statuses[record.transaction_id] = "open"
        opened = open_break(
            session,
            record=record,
            existing=existing.get(record.transaction_id),
            reason=BreakReason.NO_COUNTERPART,
            basis=basis,
            now=now,
        )
        changes.opened_breaks.append(break_contract(opened))
    await session.flush()
    changes.dissolved_group_ids.append(row.group_id)
