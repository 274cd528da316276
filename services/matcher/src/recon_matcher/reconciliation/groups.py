"""Forming and dissolving match groups and keeping the break records in step.

A transaction is matched or proposed while it is an item of a live group, open while
it has a live break or none, and written_off or closed once an approved write-off or
force-close ends its break (see `states`). The `match_group_items` primary key on
`transaction_id` keeps one item out of two live groups, whatever the code above it
does. Forming a group inserts the group before its items, and dissolving it deletes
the items before the group, because no foreign key orders them.

A tombstone (an unmatched or rejected group) keeps its sorted item ids in
`tombstone_item_ids`, and the engine does not form a group of the same items in the
same reconciliation again. The comparison is by item set and not by group id,
because the engine's group id includes the pass name, which an operator may rename.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from recon_common.events import (
    BreakReason,
    GroupOrigin,
    MatchGroup,
    MatchGroupStatus,
)
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.breaks.records import age_basis_for
from recon_matcher.breaks.storage import close_breaks, load_break_values, open_breaks
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import Definition
from recon_matcher.models import (
    TOMBSTONE_CONDITION,
    MatchGroupItem,
    MatchGroupRecord,
    TransactionRecord,
)
from recon_matcher.reconciliation.bulk import (
    insert_tuples,
    table_of,
)
from recon_matcher.reconciliation.states import (
    CLOSED,
    MATCHED,
    OPEN,
    PROPOSED,
    UNASSIGNED,
    WRITTEN_OFF,
)
from recon_matcher.settings import MatcherSettings

__all__ = [
    "CLOSED",
    "LIVE_GROUP_STATUSES",
    "MATCHED",
    "OPEN",
    "PROPOSED",
    "REJECTED",
    "UNASSIGNED",
    "UNMATCHED",
    "WRITTEN_OFF",
    "dissolve_groups",
    "group_contract",
    "group_items",
    "group_record",
    "group_values",
    "reopen_breaks",
    "store_groups",
    "tombstone_items_text",
    "tombstoned_ids",
]

# Group statuses of dissolved groups whose row stays as a tombstone, so the engine
# does not form the same group again after an operator undid it. The model's
# `TOMBSTONE_CONDITION` lists the same two.
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
        "definition_version": group.definition_version,
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
        definition_version=row.definition_version,
    )


# The columns that the engine's groups fill. The others stay NULL.
_ENGINE_GROUP_COLUMNS: Final = (
    "group_id",
    "reconciliation_id",
    "pass_name",
    "status",
    "score",
    "amount_difference",
    "days_apart",
    "explanation",
    "matched_at",
    "origin",
    "definition_version",
)
_ITEM_COLUMNS: Final = ("transaction_id", "group_id")


async def store_groups(
    session: AsyncSession,
    *,
    groups: Sequence[tuple[MatchGroup, MatchGroupRecord | None]],
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Insert groups and their items and close the items' live breaks.

    Each entry is a contract and, for a manual group, its prepared row. The engine's
    groups and every item go in with set-based statements (see `bulk`), built
    straight from the contracts.
    """
    session.add_all([row for _, row in groups if row is not None])
    await insert_tuples(
        session,
        _GROUPS,
        columns=_ENGINE_GROUP_COLUMNS,
        rows=[_engine_group_values(group) for group, row in groups if row is None],
    )
    items = [
        (transaction_id, group.group_id)
        for group, _ in groups
        for transaction_id in group.transaction_ids
    ]
    item_ids = [transaction_id for transaction_id, _ in items]
    await insert_tuples(session, _ITEMS, columns=_ITEM_COLUMNS, rows=items)
    closed = await close_breaks(
        session,
        transaction_ids=item_ids,
        reconciliation_ids={group.reconciliation_id for group, _ in groups},
        now=now,
    )
    changes.closed_break_ids.extend(tid for tid in item_ids if tid in closed)
    changes.groups.extend(group for group, _ in groups)


def _engine_group_values(group: MatchGroup) -> tuple[Any, ...]:
    return (
        group.group_id,
        group.reconciliation_id,
        group.pass_name,
        group.status.value,
        group.score,
        group.amount_difference,
        group.days_apart,
        group.explanation,
        group.matched_at,
        group.origin.value,
        group.definition_version,
    )


def tombstone_items_text(transaction_ids: Iterable[str]) -> str:
    """Return the `tombstone_item_ids` value of a group of `transaction_ids`."""
    return json.dumps(sorted(transaction_ids))


async def tombstoned_ids(
    session: AsyncSession, groups: Sequence[MatchGroup]
) -> set[str]:
    """Return the ids of `groups` whose set of items an operator dissolved before.

    A group is blocked when a tombstone of its reconciliation has exactly its set
    of transaction ids, whatever pass formed either. A tombstone stored before item
    sets were recorded (`tombstone_item_ids` NULL) blocks only a group of its own
    id. The tombstones are read through the partial index
    `ix_match_groups_tombstones` and compared in Python, so a run of a million
    groups sends no million ids to the database. Only a group whose first item is
    an item of some tombstone builds a set for the comparison.
    """
    if not groups:
        return set()
    await session.flush()
    reconciliation_ids = sorted({group.reconciliation_id for group in groups})
    rows = await session.execute(
        select(
            _GROUPS.c.group_id,
            _GROUPS.c.reconciliation_id,
            _GROUPS.c.tombstone_item_ids,
        ).where(
            text(TOMBSTONE_CONDITION),
            _GROUPS.c.reconciliation_id.in_(reconciliation_ids),
        )
    )
    legacy_ids: set[str] = set()
    item_sets: set[tuple[str, frozenset[str]]] = set()
    members: set[str] = set()
    for group_id, reconciliation_id, stored in rows:
        if stored is None:
            legacy_ids.add(group_id)
            continue
        transaction_ids: list[str] = json.loads(stored)
        item_sets.add((reconciliation_id, frozenset(transaction_ids)))
        members.update(transaction_ids)
    if not legacy_ids and not item_sets:
        return set()
    return {
        group.group_id
        for group in groups
        if group.group_id in legacy_ids
        or (
            group.transaction_ids
            and group.transaction_ids[0] in members
            and (group.reconciliation_id, frozenset(group.transaction_ids)) in item_sets
        )
    }


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

    With `tombstone` the rows stay with that status, no items and their item ids
    in `tombstone_item_ids`, so that the engine does not form a group of the same
    items again (see `tombstoned_ids`). Without it the rows are deleted.
    """
    if not rows:
        return []
    group_ids = [row.group_id for row in rows]
    members = await session.execute(
        select(MatchGroupItem.transaction_id, MatchGroupItem.group_id).where(
            MatchGroupItem.group_id.in_(group_ids)
        )
    )
    items_of: dict[str, list[str]] = {}
    for transaction_id, group_id in members:
        items_of.setdefault(group_id, []).append(transaction_id)
    item_ids = [tid for group_id in group_ids for tid in items_of.get(group_id, [])]
    await session.execute(
        delete(MatchGroupItem).where(MatchGroupItem.group_id.in_(group_ids))
    )
    for row in rows:
        if tombstone is None:
            await session.delete(row)
        else:
            row.status = tombstone
            row.tombstone_item_ids = tombstone_items_text(
                items_of.get(row.group_id, [])
            )
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
    """Open or reopen a break for each of `records`, which makes them open."""
    ids = [record.transaction_id for record in records]
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
