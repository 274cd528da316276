"""Opening, reopening and closing many break records with set-based SQL.

These functions write the rows with Core statements in batches, so a matching run
over a million items does not build a million ORM objects. Rows travel as dicts
keyed by column name. The tests keep the earlier one-object-per-row functions as a
reference and check that both store the same rows.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, Protocol

from recon_common.events import Break, BreakAgeBasis, BreakReason, BreakState
from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.breaks.records import LIVE_STATES
from recon_matcher.engine.breaks import amount_band
from recon_matcher.models import BreakRecord, MatchGroupItem
from recon_matcher.reconciliation.bulk import (
    id_batches,
    insert_rows,
    is_postgresql,
    sync_loaded,
    table_of,
    update_rows,
)

BREAKS: Final = table_of(BreakRecord)
_ITEMS: Final = table_of(MatchGroupItem)
_KEY: Final = "transaction_id"
# The most grouped items whose breaks `close_breaks` closes by id. A million-item
# run sent as one id array took 3.2 s in this step on PostgreSQL 15
# (`bench/store_benchmark.py`), and scanning the live breaks takes a fraction.
CLOSE_BY_ID_MAX = 10_000


class BreakItem(Protocol):
    """The fields of a transaction that its break row copies or derives.

    `TransactionRecord` has them, and so does any lighter row of those columns.
    """

    @property
    def transaction_id(self) -> str: ...
    @property
    def reconciliation_id(self) -> str | None: ...
    @property
    def side(self) -> str | None: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def value_date(self) -> date: ...
    @property
    def received_at(self) -> datetime: ...


def break_from_values(values: Mapping[str, Any]) -> Break:
    """Return the event contract of a break row given as column values."""
    return Break(
        transaction_id=values["transaction_id"],
        reconciliation_id=values["reconciliation_id"],
        side=values["side"],
        reason=BreakReason(values["reason"]),
        opened_at=values["opened_at"],
        state=BreakState(values["state"]),
        assignee=values["assignee"],
        age_basis=BreakAgeBasis(values["age_basis"]),
        age_date=values["age_date"],
        amount_band=values["amount_band"],
    )


async def load_break_values(
    session: AsyncSession, transaction_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Return the break rows of `transaction_ids` as column values by id."""
    await session.flush()
    postgresql = await is_postgresql(session)
    found: dict[str, dict[str, Any]] = {}
    for condition in id_batches(
        BREAKS.c.transaction_id, sorted(set(transaction_ids)), postgresql=postgresql
    ):
        rows = await session.execute(select(BREAKS).where(condition))
        for row in rows.mappings():
            found[row[_KEY]] = dict(row)
    return found


def opened_values(
    *,
    record: BreakItem,
    existing: Mapping[str, Any] | None,
    reason: BreakReason,
    basis: BreakAgeBasis,
    now: datetime,
) -> dict[str, Any]:
    """Return the full row of the break that opens or reopens for `record`."""
    age_date = (
        record.value_date
        if basis is BreakAgeBasis.VALUE_DATE
        else record.received_at.astimezone(UTC).date()
    )
    if existing is None:
        base: dict[str, Any] = {
            "transaction_id": record.transaction_id,
            "reconciliation_id": record.reconciliation_id or "",
            "side": record.side or "",
            "assignee": None,
            "opened_at": now,
        }
    else:
        base = dict(existing)
    return base | {
        "reason": reason.value,
        "state": (
            BreakState.ASSIGNED.value if base["assignee"] else BreakState.OPEN.value
        ),
        "age_basis": basis.value,
        "age_date": age_date,
        "amount_band": amount_band(record.amount),
        "updated_at": now,
    }


async def open_breaks(
    session: AsyncSession,
    *,
    records: Sequence[BreakItem],
    existing: Mapping[str, Mapping[str, Any]],
    reasons: Mapping[str, BreakReason],
    basis: BreakAgeBasis,
    now: datetime,
) -> list[Break]:
    """Insert a break for each of `records`, or reopen its row in `existing`."""
    inserted: list[dict[str, Any]] = []
    reopened: list[dict[str, Any]] = []
    opened: list[Break] = []
    for record in records:
        earlier = existing.get(record.transaction_id)
        values = opened_values(
            record=record,
            existing=earlier,
            reason=reasons.get(record.transaction_id, BreakReason.NO_COUNTERPART),
            basis=basis,
            now=now,
        )
        (inserted if earlier is None else reopened).append(values)
        opened.append(break_from_values(values))
    await insert_rows(session, BREAKS, inserted)
    changed = [_reopened_columns(values) for values in reopened]
    await update_rows(session, BREAKS, key=_KEY, rows=changed)
    sync_loaded(session, BreakRecord, key=_KEY, rows=changed)
    return opened


async def update_reasons(
    session: AsyncSession, *, rows: Sequence[Mapping[str, Any]], now: datetime
) -> None:
    """Store the `reason` of each row, which must be a live break."""
    changed = [
        {_KEY: row[_KEY], "reason": row["reason"], "updated_at": now} for row in rows
    ]
    await update_rows(session, BREAKS, key=_KEY, rows=changed)
    sync_loaded(session, BreakRecord, key=_KEY, rows=changed)


async def close_breaks(
    session: AsyncSession,
    *,
    transaction_ids: Sequence[str],
    reconciliation_ids: Collection[str],
    now: datetime,
) -> set[str]:
    """Close the live breaks of `transaction_ids`, which are now grouped.

    Return whose breaks were closed. Up to `CLOSE_BY_ID_MAX` items, the statement
    names them. Above it, it closes every live break of `reconciliation_ids` whose
    item has a group item row, which is the same set while a live break never
    coexists with a group item, and sends no id.
    """
    if not transaction_ids:
        return set()
    await session.flush()
    postgresql = await is_postgresql(session)
    if len(transaction_ids) > CLOSE_BY_ID_MAX:
        grouped = exists().where(_ITEMS.c.transaction_id == BREAKS.c.transaction_id)
        conditions: Iterable[ColumnElement[bool]] = [
            and_(BREAKS.c.reconciliation_id.in_(sorted(reconciliation_ids)), grouped)
        ]
    else:
        conditions = id_batches(
            BREAKS.c.transaction_id, transaction_ids, postgresql=postgresql
        )
    live = BREAKS.c.state.in_(sorted(LIVE_STATES))
    closed: set[str] = set()
    for condition in conditions:
        if postgresql:
            # One round trip: RETURNING names the rows that were live.
            rows = await session.scalars(
                update(BREAKS)
                .where(condition, live)
                .values(state=BreakState.CLOSED.value, updated_at=now)
                .returning(BREAKS.c.transaction_id)
            )
            closed.update(rows)
            continue
        found = list(
            await session.scalars(
                select(BREAKS.c.transaction_id).where(condition, live)
            )
        )
        for batch in id_batches(BREAKS.c.transaction_id, found, postgresql=False):
            await session.execute(
                update(BREAKS)
                .where(batch)
                .values(state=BreakState.CLOSED.value, updated_at=now)
            )
        closed.update(found)
    changed = [
        {_KEY: transaction_id, "state": BreakState.CLOSED.value, "updated_at": now}
        for transaction_id in closed
    ]
    sync_loaded(session, BreakRecord, key=_KEY, rows=changed)
    return closed


def _reopened_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    names = (_KEY, "reason", "state", "age_basis", "age_date", "amount_band")
    return {name: values[name] for name in names} | {"updated_at": values["updated_at"]}
