"""Re-running a definition over a value-date range.

A re-run takes the open items in the range and the items of the engine's groups
whose items all lie in the range, and matches them again with the current
definition. Groups that an operator made or confirmed, and their items, stay as
they are, and so do written-off and closed items.

A live group whose set of items comes out of the engine again with the same status
keeps its row, with the id, pass name, score and `definition_version` it was
formed with. The comparison is by item set, not by group id, because the group id
includes the pass name, and renaming a pass must not dissolve and form groups
again. With another status the group is dissolved and formed again, because its
items then read as matched instead of proposed or the other way round.

A re-run also adopts the unassigned transactions in the range that the definition
selects, as an activation does (`adoption`): a transaction that an earlier
definition selects as well is left to that one. A dry run computes the same plan,
including the transactions it would adopt and the pending requests that applying
it would withdraw, and changes nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog
from recon_common.events import BreakReason, MatchGroup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions.schemas import PlannedWithdrawal
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import Definition
from recon_matcher.definitions.active import ActiveDefinitions
from recon_matcher.models import MatchGroupItem, MatchGroupRecord, TransactionRecord
from recon_matcher.reconciliation import states
from recon_matcher.reconciliation.adoption import (
    AdoptedRow,
    assign_rows,
    find_adoptions,
)
from recon_matcher.reconciliation.groups import (
    LIVE_GROUP_STATUSES,
    dissolve_groups,
    store_groups,
    tombstoned_ids,
)
from recon_matcher.reconciliation.repository import OpenItem
from recon_matcher.reconciliation.service import (
    break_reasons,
    run_engine,
    sync_breaks,
    unmatched_ids,
)
from recon_matcher.reconciliation.withdrawals import (
    planned_withdrawals,
    withdraw_grouped_requests,
)
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RerunPlan:
    """The changes that a re-run would make."""

    items: dict[str, OpenItem]
    # How many of `items` are open. The others are items of eligible groups and
    # `adopted`.
    open_items: int
    # Unassigned transactions in the range that applying the plan assigns to the
    # definition. They are in `items` as well.
    adopted: list[AdoptedRow]
    kept: list[MatchGroupRecord]
    dissolve: list[MatchGroupRecord]
    form: list[MatchGroup]
    unmatched: list[str]
    reasons: dict[str, BreakReason]
    open_before: int
    ran_at: datetime
    # The pending write-off and force-close requests that applying would withdraw,
    # each with the group that would contain its item.
    withdrawals: list[PlannedWithdrawal]


async def _eligible_groups(
    session: AsyncSession, *, definition: Definition, start: date, end: date
) -> tuple[list[MatchGroupRecord], dict[str, list[TransactionRecord]]]:
    rows = await session.execute(
        select(MatchGroupRecord, TransactionRecord)
        .join(MatchGroupItem, MatchGroupItem.group_id == MatchGroupRecord.group_id)
        .join(
            TransactionRecord,
            TransactionRecord.transaction_id == MatchGroupItem.transaction_id,
        )
        .where(
            MatchGroupRecord.reconciliation_id == definition.id,
            MatchGroupRecord.origin == "engine",
            MatchGroupRecord.reviewed_by.is_(None),
            MatchGroupRecord.status.in_(LIVE_GROUP_STATUSES),
        )
    )
    groups: dict[str, MatchGroupRecord] = {}
    items: dict[str, list[TransactionRecord]] = {}
    for group, record in rows:
        groups[group.group_id] = group
        items.setdefault(group.group_id, []).append(record)
    chosen = [
        groups[group_id]
        for group_id, members in items.items()
        if all(start <= member.value_date <= end for member in members)
    ]
    return chosen, {group.group_id: items[group.group_id] for group in chosen}


async def _adoptable(
    session: AsyncSession,
    *,
    definition: Definition,
    definitions: Sequence[Definition] | None,
    start: date,
    end: date,
) -> list[AdoptedRow]:
    if definitions is None:
        definitions = await ActiveDefinitions().definitions(session)
    # The re-run's own definition, which is active, wins over a copy of it.
    active = [item for item in definitions if item.id != definition.id]
    ordered = sorted([*active, definition], key=lambda item: item.id)
    found: list[AdoptedRow] = []
    after: str | None = None
    # The plan keeps every item of the range in memory, as the open items are.
    while True:
        batch = await find_adoptions(
            session,
            definitions=ordered,
            scope=[definition],
            after=after,
            value_dates=(start, end),
        )
        if batch.last_id is None:
            return found
        found.extend(
            row for row in batch.rows if row.reconciliation_id == definition.id
        )
        after = batch.last_id


async def plan_rerun(
    session: AsyncSession,
    *,
    definition: Definition,
    start: date,
    end: date,
    definitions: Sequence[Definition] | None = None,
) -> tuple[RerunPlan, list[MatchGroup]]:
    """Compute the re-run of `definition` over `[start, end]` without writing.

    `definitions` are the active definitions, which decide where an unassigned
    transaction goes. Without them the active ones are read from the store.
    """
    groups, members = await _eligible_groups(
        session, definition=definition, start=start, end=end
    )
    grouped = [record for records in members.values() for record in records]
    open_rows = (
        await session.scalars(
            select(TransactionRecord).where(
                TransactionRecord.reconciliation_id == definition.id,
                states.is_open(),
            )
        )
    ).all()
    in_range = [row for row in open_rows if start <= row.value_date <= end]
    adopted = await _adoptable(
        session, definition=definition, definitions=definitions, start=start, end=end
    )
    if adopted:
        # The response counts them in `items_adopted` and in `items_considered`.
        log.info(
            "matcher.rerun.adoptable",
            reconciliation_id=definition.id,
            value_date_from=start.isoformat(),
            value_date_to=end.isoformat(),
            transactions=len(adopted),
        )
    items: dict[str, OpenItem] = {row.transaction_id: row for row in in_range}
    items.update((row.transaction_id, row) for row in grouped)
    items.update((row.transaction_id, row) for row in adopted)
    now = datetime.now(UTC)
    result = run_engine(definition, items.values())
    formed = result.match_groups(
        matched_at=now, definition_version=definition.stored_version
    )
    blocked = await tombstoned_ids(session, formed)
    expected = {
        frozenset(group.transaction_ids): group
        for group in formed
        if group.group_id not in blocked
    }
    kept: list[MatchGroupRecord] = []
    kept_sets: set[frozenset[str]] = set()
    for row in groups:
        item_set = frozenset(record.transaction_id for record in members[row.group_id])
        match = expected.get(item_set)
        if match is not None and match.status.value == row.status:
            kept.append(row)
            kept_sets.add(item_set)
    kept_ids = {row.group_id for row in kept}
    dissolve = [row for row in groups if row.group_id not in kept_ids]
    form = [group for key, group in expected.items() if key not in kept_sets]
    plan = RerunPlan(
        items=items,
        open_items=len(in_range),
        adopted=adopted,
        kept=kept,
        dissolve=dissolve,
        form=form,
        unmatched=unmatched_ids(result, formed, blocked=blocked),
        reasons=break_reasons(result),
        open_before=len(open_rows),
        ran_at=now,
        withdrawals=await planned_withdrawals(
            session,
            definition=definition,
            form=form,
            dissolved_group_ids={row.group_id for row in dissolve},
        ),
    )
    return plan, formed


def open_after(plan: RerunPlan) -> int:
    """Return the open items of the reconciliation after the plan is applied."""
    return plan.open_before - plan.open_items + len(plan.unmatched)


async def apply_rerun(
    session: AsyncSession,
    *,
    definition: Definition,
    plan: RerunPlan,
    settings: MatcherSettings,
    changes: MatchChanges,
) -> None:
    """Adopt the plan's transactions, dissolve and form its groups, and keep a
    break on every other item.

    A pending write-off or force-close request of an item that the plan groups is
    withdrawn: the requests of `plan.withdrawals`, unless another action changed
    the requests or groups since the plan was computed.
    """
    now = datetime.now(UTC)
    await assign_rows(session, rows=plan.adopted)
    await dissolve_groups(
        session,
        rows=plan.dissolve,
        definition=definition,
        settings=settings,
        changes=changes,
        now=now,
    )
    await store_groups(
        session,
        groups=[(group, None) for group in plan.form],
        changes=changes,
        now=now,
    )
    await withdraw_grouped_requests(
        session, definition=definition, settings=settings, now=now
    )
    grouped = {tid for group in plan.form for tid in group.transaction_ids}
    changes.opened_breaks = [
        item for item in changes.opened_breaks if item.transaction_id not in grouped
    ]
    await sync_breaks(
        session,
        definition=definition,
        unmatched=plan.unmatched,
        reasons=plan.reasons,
        records=plan.items,
        settings=settings,
        changes=changes,
        now=now,
    )


def group_ids(rows: Sequence[MatchGroupRecord]) -> list[str]:
    """Return the ids of `rows`."""
    return [row.group_id for row in rows]
