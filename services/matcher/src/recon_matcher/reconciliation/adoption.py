"""Adopting stored transactions that no reconciliation took when they arrived.

A transaction that arrives while no active definition selects it is stored
unassigned. When a definition version becomes active (an API save or activation,
or the definitions file at start-up), and at every start-up, the matcher reads the
unassigned transactions in batches of `ADOPTION_BATCH` rows. It assigns each one
with `routing.assign`, as it assigns a new arrival, and matches the
reconciliations that gained items as a chunk does. Each batch commits its
assignments, groups, breaks and `matches-produced` messages (in the outbox) in one
transaction. So a crash leaves only the later batches unassigned, and the next
activation or start-up adopts them. An update only takes a row that is still
unassigned, so no transaction is adopted twice.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, cast

import structlog
from recon_common.db import session_scope
from recon_common.events import Transaction
from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_matcher.changes import MatchChanges, new_run_id, publish_changes
from recon_matcher.definitions.active import ActiveDefinitions
from recon_matcher.definitions.models import Definition, Side, normalize_account
from recon_matcher.definitions.routing import INTRADAY_FORMATS, assign
from recon_matcher.models import TransactionRecord
from recon_matcher.reconciliation import repository
from recon_matcher.reconciliation.bulk import id_batches, is_postgresql, table_of
from recon_matcher.reconciliation.service import match_records
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

# Unassigned rows read per batch, and so the max rows adopted per transaction. A
# batch reads the ids and accounts of this many rows, then the bodies (an estimated
# 1 KB each) of those whose account a definition lists. So one transaction reads an
# estimated 2 MB of bodies and adopts as many rows as four ingest chunks of 500,
# and 1,000,000 unassigned rows take 500 transactions. Each batch also matches the
# open items of each reconciliation that gained items, as a chunk does, so much
# smaller batches would repeat that work more often.
ADOPTION_BATCH: Final = 2_000
# Attempts per batch. A batch fails with IntegrityError when a chunk or another
# replica groups the same open items at the same time, and a second attempt reads
# the committed result.
_ATTEMPTS: Final = 2

_TRANSACTIONS: Final = table_of(TransactionRecord)


@dataclass(frozen=True, slots=True)
class AdoptedRow:
    """A stored unassigned transaction with the reconciliation and side it gets.

    It has the columns that a matching run reads (`repository.OpenItem`).
    """

    transaction_id: str
    reconciliation_id: str | None
    side: str | None
    amount: Decimal
    value_date: date
    received_at: datetime
    body: str


@dataclass(slots=True)
class AdoptionBatch:
    """The rows of one batch that a definition takes, and where the read stopped."""

    rows: list[AdoptedRow]
    # The greatest transaction id read, None when no unassigned row was left.
    last_id: str | None
    read: int
    # Rows that more than one active definition selects.
    several_definitions: int


@dataclass(slots=True)
class AdoptionCounts:
    """The totals of one adoption run, for its log line."""

    read: int = 0
    batches: int = 0
    adopted: dict[str, int] = field(default_factory=dict)
    groups: int = 0
    breaks_opened: int = 0
    several_definitions: int = 0


def _may_select(account: str, scope: Sequence[Definition]) -> bool:
    # A cheap test on the account column, so that only the rows that can pass a
    # filter have their JSON body read and parsed.
    normalized = normalize_account(account)
    for definition in scope:
        for side in (Side.A, Side.B):
            side_filter = definition.side_filter(side)
            if normalized in side_filter.accounts:
                return True
            pattern = side_filter.account_pattern
            if pattern is not None and re.fullmatch(pattern, normalized) is not None:
                return True
    return False


def _unassigned_condition(
    scope: Sequence[Definition], value_dates: tuple[date, date] | None
) -> list[ColumnElement[bool]]:
    banks = sorted({definition.bank_id for definition in scope})
    kinds = sorted(
        {
            definition.side_filter(side).record_kind.value
            for definition in scope
            for side in (Side.A, Side.B)
        }
    )
    conditions: list[ColumnElement[bool]] = [
        _TRANSACTIONS.c.reconciliation_id.is_(None),
        _TRANSACTIONS.c.bank_id.in_(banks),
        _TRANSACTIONS.c.record_kind.in_(kinds),
    ]
    if value_dates is not None:
        start, end = value_dates
        conditions.append(_TRANSACTIONS.c.value_date.between(start, end))
    return conditions


def _intraday_conditions(scope: Sequence[Definition]) -> list[ColumnElement[bool]]:
    # Unassigned intraday entries stay unassigned for good unless a side names
    # their format, so without this every run would read and parse them again.
    # NOTE: `transactions` has no source format column, so this matches the JSON
    # body, which `Transaction.model_dump_json` writes without spaces.
    named = {
        source_format
        for definition in scope
        for side in (Side.A, Side.B)
        for source_format in definition.side_filter(side).source_formats
    }
    return [
        _TRANSACTIONS.c.body.not_like(f'%"source_format":"{source_format}"%')
        for source_format in sorted(INTRADAY_FORMATS - named)
    ]


async def find_adoptions(
    session: AsyncSession,
    *,
    definitions: Sequence[Definition],
    scope: Sequence[Definition],
    after: str | None,
    value_dates: tuple[date, date] | None = None,
    limit: int = ADOPTION_BATCH,
) -> AdoptionBatch:
    """Read the next `limit` unassigned rows that `scope` may select, by id.

    Each row that a definition of `scope` selects is assigned with
    `routing.assign` over all active `definitions`, in their order, as a new
    arrival is. So it goes to the first definition that selects it, which need not
    be in `scope`. Reading nothing changes.
    """
    conditions = _unassigned_condition(scope, value_dates)
    if after is not None:
        conditions.append(_TRANSACTIONS.c.transaction_id > after)
    heads = (
        await session.execute(
            select(_TRANSACTIONS.c.transaction_id, _TRANSACTIONS.c.account)
            .where(*conditions)
            .order_by(_TRANSACTIONS.c.transaction_id)
            .limit(limit)
        )
    ).all()
    if not heads:
        return AdoptionBatch(rows=[], last_id=None, read=0, several_definitions=0)
    candidates = [
        transaction_id
        for transaction_id, account in heads
        if _may_select(account, scope)
    ]
    scope_ids = {definition.id for definition in scope}
    batch = AdoptionBatch(
        rows=[], last_id=heads[-1][0], read=len(heads), several_definitions=0
    )
    postgresql = await is_postgresql(session)
    columns = [
        _TRANSACTIONS.c[name]
        for name in ("transaction_id", "amount", "value_date", "received_at", "body")
    ]
    skip_intraday = _intraday_conditions(scope)
    for condition in id_batches(
        _TRANSACTIONS.c.transaction_id, candidates, postgresql=postgresql
    ):
        rows = await session.execute(
            select(*columns).where(
                condition,
                _TRANSACTIONS.c.reconciliation_id.is_(None),
                *skip_intraday,
            )
        )
        for row in rows:
            item = Transaction.model_validate_json(row.body)
            assignments = assign(item, definitions)
            if not any(found.definition.id in scope_ids for found in assignments):
                continue
            if len(assignments) > 1:
                batch.several_definitions += 1
            chosen = assignments[0]
            batch.rows.append(
                AdoptedRow(
                    transaction_id=row.transaction_id,
                    reconciliation_id=chosen.definition.id,
                    side=chosen.side.value,
                    amount=row.amount,
                    value_date=row.value_date,
                    received_at=row.received_at,
                    body=row.body,
                )
            )
    return batch


async def assign_rows(
    session: AsyncSession, *, rows: Sequence[AdoptedRow]
) -> dict[str, int]:
    """Set the reconciliation and side of `rows` that are still unassigned.

    Returns how many rows changed per reconciliation id. A row that another
    transaction adopted first keeps that adoption.
    """
    by_target: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for row in rows:
        by_target[(row.reconciliation_id, row.side)].append(row.transaction_id)
    postgresql = await is_postgresql(session)
    changed: dict[str, int] = defaultdict(int)
    for (reconciliation_id, side), ids in by_target.items():
        for condition in id_batches(
            _TRANSACTIONS.c.transaction_id, ids, postgresql=postgresql
        ):
            result = await session.execute(
                update(_TRANSACTIONS)
                .where(condition, _TRANSACTIONS.c.reconciliation_id.is_(None))
                .values(reconciliation_id=reconciliation_id, side=side)
            )
            changed[reconciliation_id or ""] += cast(CursorResult[Any], result).rowcount
    return dict(changed)


async def adopt_batch(
    session: AsyncSession,
    *,
    batch: AdoptionBatch,
    definitions: Sequence[Definition],
    settings: MatcherSettings,
    counts: AdoptionCounts,
) -> None:
    """Assign the rows of `batch`, match each reconciliation that gained items and
    queue its `matches-produced` messages."""
    changed = await assign_rows(session, rows=batch.rows)
    new_ids: dict[str, list[str]] = defaultdict(list)
    for row in batch.rows:
        if row.reconciliation_id is not None:
            new_ids[row.reconciliation_id].append(row.transaction_id)
    now = datetime.now(UTC)
    by_id = {definition.id: definition for definition in definitions}
    for reconciliation_id, ids in new_ids.items():
        definition = by_id[reconciliation_id]
        changes = MatchChanges()
        records = await repository.open_transactions(
            session, reconciliation_id=reconciliation_id, new_ids=ids
        )
        await match_records(
            session,
            definition=definition,
            records=records,
            settings=settings,
            changes=changes,
            now=now,
        )
        changes.summaries.append(
            await repository.reconciliation_summary(session, definition=definition)
        )
        publish_changes(
            session,
            changes=changes,
            settings=settings,
            key=reconciliation_id,
            run_id=new_run_id(f"adoption:{reconciliation_id}"),
        )
        counts.adopted[reconciliation_id] = counts.adopted.get(
            reconciliation_id, 0
        ) + changed.get(reconciliation_id, 0)
        counts.groups += len(changes.groups)
        counts.breaks_opened += len(changes.opened_breaks)


async def adopt_unassigned(
    sessions: async_sessionmaker[AsyncSession],
    *,
    active: ActiveDefinitions,
    settings: MatcherSettings,
    definition_id: str | None,
    trigger: str,
    batch_size: int = ADOPTION_BATCH,
) -> AdoptionCounts:
    """Adopt the unassigned transactions that active definitions select.

    With `definition_id`, only the rows that this definition selects are read,
    otherwise the rows that any active definition selects. Each batch commits on
    its own. A failure is logged and ends the run, because the rest stays
    unassigned until the next activation or start-up adopts it.
    """
    counts = AdoptionCounts()
    after: str | None = None
    attempt = 1
    while True:
        try:
            async with session_scope(sessions) as session:
                definitions = await active.definitions(session)
                scope = [
                    definition
                    for definition in definitions
                    if definition_id is None or definition.id == definition_id
                ]
                if not scope:
                    break
                batch = await find_adoptions(
                    session,
                    definitions=definitions,
                    scope=scope,
                    after=after,
                    limit=batch_size,
                )
                if batch.last_id is None:
                    break
                await adopt_batch(
                    session,
                    batch=batch,
                    definitions=definitions,
                    settings=settings,
                    counts=counts,
                )
        except IntegrityError as error:
            if attempt < _ATTEMPTS:
                log.warning(
                    "matcher.adoption.batch_retry",
                    definition_id=definition_id,
                    after=after,
                    error=type(error).__name__,
                )
                attempt += 1
                continue
            _log_failure(error, definition_id=definition_id, counts=counts)
            break
        except SQLAlchemyError as error:
            _log_failure(error, definition_id=definition_id, counts=counts)
            break
        attempt = 1
        after = batch.last_id
        counts.read += batch.read
        counts.batches += 1
        counts.several_definitions += batch.several_definitions
    _log_finished(counts, definition_id=definition_id, trigger=trigger)
    return counts


def _log_failure(
    error: SQLAlchemyError, *, definition_id: str | None, counts: AdoptionCounts
) -> None:
    log.error(
        "matcher.adoption.failed",
        definition_id=definition_id,
        batches_committed=counts.batches,
        # The class only: the text of a database error repeats the statement's
        # parameters, which can contain account numbers.
        error=type(error).__name__,
        hint="the rest stays unassigned until the next activation or start-up",
    )


def _log_finished(
    counts: AdoptionCounts, *, definition_id: str | None, trigger: str
) -> None:
    if counts.several_definitions:
        log.warning(
            "matcher.adoption.several_definitions",
            count=counts.several_definitions,
            hint="each went to the first definition by id, as new arrivals do",
        )
    log.info(
        "matcher.adoption.finished",
        trigger=trigger,
        definition_id=definition_id,
        rows_read=counts.read,
        batches=counts.batches,
        adopted=counts.adopted,
        groups=counts.groups,
        open_breaks_added=counts.breaks_opened,
    )
