"""The match state of a transaction, derived from its group item and its break.

No column stores the state. A transaction is:

- `unassigned` while no reconciliation takes it (`reconciliation_id` is null);
- `matched` or `proposed` while it is an item of a live group, by the group's status
  (`confirmed` or `proposed`);
- `written_off` or `closed` when it is in no group and its break has that state
  (`closed` without a group is a force-close);
- `open` otherwise: assigned, in no group, with a live break or with none yet.

So storing a matching run inserts groups, items and breaks and closes the items'
breaks, but never updates the wide `transactions` rows. `match_group_items` contains
items of live groups only, because dissolving a group deletes its items.
"""

from collections.abc import Sequence
from typing import Final

from recon_common.events import BreakState, MatchGroupStatus
from sqlalchemy import (
    ColumnElement,
    Join,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.models import (
    BreakRecord,
    MatchGroupItem,
    MatchGroupRecord,
    TransactionRecord,
)
from recon_matcher.reconciliation.bulk import id_batches, is_postgresql, table_of

OPEN: Final = "open"
MATCHED: Final = "matched"
PROPOSED: Final = "proposed"
UNASSIGNED: Final = "unassigned"
WRITTEN_OFF: Final = "written_off"
CLOSED: Final = "closed"
# Break states that take an item out of matching for good.
TERMINAL_BREAK_STATES: Final = (BreakState.WRITTEN_OFF.value, BreakState.CLOSED.value)

_TRANSACTIONS: Final = table_of(TransactionRecord)
_ITEMS: Final = table_of(MatchGroupItem)
_GROUPS: Final = table_of(MatchGroupRecord)
_BREAKS: Final = table_of(BreakRecord)


def status_expression() -> ColumnElement[str]:
    """Return the state of a row of `stated_transactions()` as an SQL expression."""
    return case(
        (_GROUPS.c.status == MatchGroupStatus.CONFIRMED.value, literal(MATCHED)),
        (_GROUPS.c.status == MatchGroupStatus.PROPOSED.value, literal(PROPOSED)),
        (_BREAKS.c.state == BreakState.WRITTEN_OFF.value, literal(WRITTEN_OFF)),
        (_BREAKS.c.state == BreakState.CLOSED.value, literal(CLOSED)),
        (_TRANSACTIONS.c.reconciliation_id.is_(None), literal(UNASSIGNED)),
        else_=literal(OPEN),
    )


def stated_transactions() -> Join:
    """Return `transactions` outer-joined to the item, group and break of each row.

    Each transaction gives one row, because all three are unique per transaction.
    """
    return (
        _TRANSACTIONS.outerjoin(
            _ITEMS, _ITEMS.c.transaction_id == _TRANSACTIONS.c.transaction_id
        )
        .outerjoin(_GROUPS, _GROUPS.c.group_id == _ITEMS.c.group_id)
        .outerjoin(_BREAKS, _BREAKS.c.transaction_id == _TRANSACTIONS.c.transaction_id)
    )


def is_open() -> ColumnElement[bool]:
    """Return the condition that a `transactions` row is open."""
    grouped = exists().where(_ITEMS.c.transaction_id == _TRANSACTIONS.c.transaction_id)
    ended = exists().where(
        _BREAKS.c.transaction_id == _TRANSACTIONS.c.transaction_id,
        _BREAKS.c.state.in_(TERMINAL_BREAK_STATES),
    )
    return and_(_TRANSACTIONS.c.reconciliation_id.is_not(None), ~grouped, ~ended)


async def statuses(
    session: AsyncSession, transaction_ids: Sequence[str]
) -> dict[str, str]:
    """Return the state of each stored transaction of `transaction_ids`."""
    await session.flush()
    postgresql = await is_postgresql(session)
    found: dict[str, str] = {}
    for condition in id_batches(
        _TRANSACTIONS.c.transaction_id, transaction_ids, postgresql=postgresql
    ):
        rows = await session.execute(
            select(_TRANSACTIONS.c.transaction_id, status_expression())
            .select_from(stated_transactions())
            .where(condition)
        )
        found.update((key, value) for key, value in rows)
    return found


async def status_counts(
    session: AsyncSession, *, reconciliation_id: str
) -> dict[str, int]:
    """Return the number of transactions of a reconciliation per state.

    Every chunk and every operator action publishes these counts, so they are
    summed from narrow index reads instead of joining each transaction to its
    item, group and break. That relies on what the service keeps true: a live
    break belongs to an item in no group, an item that a run left unmatched has a
    break, and a written-off break belongs to an item in no group. Matched is
    what remains.
    """
    total = await session.scalar(
        select(func.count()).where(
            _TRANSACTIONS.c.reconciliation_id == reconciliation_id
        )
    )
    breaks = await session.execute(
        select(_BREAKS.c.state, func.count())
        .where(
            _BREAKS.c.reconciliation_id == reconciliation_id,
            _BREAKS.c.state != BreakState.CLOSED.value,
        )
        .group_by(_BREAKS.c.state)
    )
    per_break_state = {state: count for state, count in breaks}
    force_closed = await session.scalar(
        select(func.count()).where(
            _BREAKS.c.reconciliation_id == reconciliation_id,
            _BREAKS.c.state == BreakState.CLOSED.value,
            ~exists().where(_ITEMS.c.transaction_id == _BREAKS.c.transaction_id),
        )
    )
    proposed = await session.scalar(
        select(func.count())
        .select_from(_ITEMS.join(_GROUPS, _GROUPS.c.group_id == _ITEMS.c.group_id))
        .where(
            _GROUPS.c.reconciliation_id == reconciliation_id,
            _GROUPS.c.status == MatchGroupStatus.PROPOSED.value,
        )
    )
    counts = {
        OPEN: per_break_state.get(BreakState.OPEN.value, 0)
        + per_break_state.get(BreakState.ASSIGNED.value, 0),
        PROPOSED: proposed or 0,
        WRITTEN_OFF: per_break_state.get(BreakState.WRITTEN_OFF.value, 0),
        CLOSED: force_closed or 0,
    }
    counts[MATCHED] = (total or 0) - sum(counts.values())
    return {state: count for state, count in counts.items() if count}
