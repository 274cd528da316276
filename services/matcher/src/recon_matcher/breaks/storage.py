"""Opening, reopening and closing many break records with set-based SQL.

These functions write the rows with Core statements in batches, so a matching run
over a million items does not build a million ORM objects. Rows travel as dicts
keyed by column name. The tests keep the earlier one-object-per-row functions as a
reference and check that both store the same rows.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from recon_common.events import Break, BreakAgeBasis, BreakReason, BreakState
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.breaks.records import LIVE_STATES, amount_band
from recon_matcher.models import BreakRecord, TransactionRecord
from recon_matcher.reconciliation.bulk import (
    id_batches,
    insert_rows,
    is_postgresql,
    sync_loaded,
    table_of,
    update_rows,
)

BREAKS: Final = table_of(BreakRecord)
_KEY: Final = "transaction_id"


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
    record: TransactionRecord,
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
    records: Sequence[TransactionRecord],
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
    session: AsyncSession, *, transaction_ids: Sequence[str], now: datetime
) -> set[str]:
    """Close the live breaks of `transaction_ids` and return whose were closed."""
    if not transaction_ids:
        return set()
    await session.flush()
    postgresql = await is_postgresql(session)
    live = BREAKS.c.state.in_(sorted(LIVE_STATES))
    closed: set[str] = set()
    for condition in id_batches(
        BREAKS.c.transaction_id, transaction_ids, postgresql=postgresql
    ):
        if postgresql:
            # One round trip a batch: RETURNING names the rows that were live.
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
        if found:
            await session.execute(
                update(BREAKS)
                .where(BREAKS.c.transaction_id.in_(found))
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
