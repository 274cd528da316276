"""SQL of the reports: break ageing sums, match outcome counts and the break export."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import FromClause, Row, Select, func, outerjoin, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.breaks.repository import AccountMatch, account_condition
from recon_reporting.models import ReportBreak, ReportMatchGroup, ReportTransaction

# Databases whose SUM over the money column is exact. SQLite stores money as text,
# and its SUM would convert the text to floating point.
_EXACT_SUM_DIALECTS = frozenset({"postgresql", "oracle"})


@dataclass(frozen=True, slots=True)
class AgeingFigure:
    """Open breaks of one reconciliation, currency and age date."""

    reconciliation_id: str
    # None for breaks whose transaction has not reached the read model.
    currency: str | None
    # The read model fills it for every break, but the column allows NULL.
    age_date: date | None
    count: int
    # Sum of the amounts, None when `currency` is None.
    amount: Decimal | None


def _breaks_with_transactions() -> FromClause:
    return outerjoin(
        ReportBreak,
        ReportTransaction,
        ReportTransaction.transaction_id == ReportBreak.transaction_id,
    )


async def ageing_figures(
    session: AsyncSession, *, reconciliation_id: str | None
) -> list[AgeingFigure]:
    """Count and sum open breaks by reconciliation, currency and age date.

    The database sums the amounts where its SUM is exact. On SQLite the rows are
    grouped by amount as well and multiplied out here, so no amount passes through
    a float.
    """
    keys = (
        ReportBreak.reconciliation_id,
        ReportTransaction.currency,
        ReportBreak.age_date,
    )
    exact = session.get_bind().dialect.name in _EXACT_SUM_DIALECTS
    grouping: tuple[Any, ...]
    if exact:
        query = select(*keys, func.count(), func.sum(ReportTransaction.amount))
        grouping = keys
    else:
        query = select(*keys, func.count(), ReportTransaction.amount)
        grouping = (*keys, ReportTransaction.amount)
    query = query.select_from(_breaks_with_transactions()).group_by(*grouping)
    if reconciliation_id is not None:
        query = query.where(ReportBreak.reconciliation_id == reconciliation_id)
    figures = []
    for row_reconciliation, currency, age_date, count, amount in await session.execute(
        query
    ):
        total = amount if exact or amount is None else amount * count
        figures.append(
            AgeingFigure(
                reconciliation_id=row_reconciliation,
                currency=currency,
                age_date=age_date,
                count=count,
                amount=total,
            )
        )
    return figures


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """Transactions of one reconciliation with one status and group kind."""

    reconciliation_id: str
    status: str
    # Origin and status of the transaction's match group, None outside a group.
    group_origin: str | None
    group_status: str | None
    count: int


async def outcome_counts(
    session: AsyncSession,
    *,
    reconciliation_id: str | None,
    value_date_from: date | None,
    value_date_to: date | None,
) -> list[OutcomeCount]:
    """Count reconciled transactions by status and match group kind.

    Transactions that no reconciliation has reported are left out.
    """
    transaction = ReportTransaction
    group = ReportMatchGroup
    query = (
        select(
            transaction.reconciliation_id,
            transaction.status,
            group.origin,
            group.status,
            func.count(),
        )
        .select_from(transaction)
        .outerjoin(group, group.group_id == transaction.group_id)
        .where(transaction.reconciliation_id.is_not(None))
        .group_by(
            transaction.reconciliation_id,
            transaction.status,
            group.origin,
            group.status,
        )
    )
    if reconciliation_id is not None:
        query = query.where(transaction.reconciliation_id == reconciliation_id)
    if value_date_from is not None:
        query = query.where(transaction.value_date >= value_date_from)
    if value_date_to is not None:
        query = query.where(transaction.value_date <= value_date_to)
    return [
        OutcomeCount(
            # The query selects only transactions with a reconciliation id.
            reconciliation_id=cast(str, row_reconciliation),
            status=status,
            group_origin=origin,
            group_status=group_status,
            count=count,
        )
        for row_reconciliation, status, origin, group_status, count in (
            await session.execute(query)
        )
    ]


@dataclass(frozen=True, slots=True)
class BreakFilters:
    """The break page's filters, as age dates instead of an age band."""

    reconciliation_id: str | None = None
    account: AccountMatch | None = None
    age_date_from: date | None = None
    age_date_to: date | None = None


# reconciliation_id, transaction_id, side, reason, state, assignee, age_date,
# opened_at, then account, currency, amount, direction and value_date of the
# transaction, which are None when it has not reached the read model.
ExportRow = Row[
    str,
    str,
    str,
    str,
    str,
    str | None,
    date,
    datetime,
    str | None,
    str | None,
    Decimal | None,
    str | None,
    date | None,
]


def _export_query(filters: BreakFilters) -> Select[*tuple[Any, ...]]:
    query = select(
        ReportBreak.reconciliation_id,
        ReportBreak.transaction_id,
        ReportBreak.side,
        ReportBreak.reason,
        ReportBreak.state,
        ReportBreak.assignee,
        ReportBreak.age_date,
        ReportBreak.opened_at,
        ReportTransaction.account,
        ReportTransaction.currency,
        ReportTransaction.amount,
        ReportTransaction.direction,
        ReportTransaction.value_date,
    ).select_from(_breaks_with_transactions())
    if filters.reconciliation_id is not None:
        query = query.where(ReportBreak.reconciliation_id == filters.reconciliation_id)
    if filters.account is not None:
        query = query.where(account_condition(filters.account))
    if filters.age_date_from is not None:
        query = query.where(ReportBreak.age_date >= filters.age_date_from)
    if filters.age_date_to is not None:
        query = query.where(ReportBreak.age_date <= filters.age_date_to)
    return query.order_by(ReportBreak.age_date, ReportBreak.transaction_id)


async def stream_open_breaks(
    session: AsyncSession, *, filters: BreakFilters, batch_size: int
) -> AsyncIterator[Sequence[ExportRow]]:
    """Yield the open breaks that match `filters`, oldest first, in batches.

    One query reads all rows through a server-side cursor, so at most about
    `batch_size` rows are in memory at a time, and every batch comes from the same
    snapshot of the table.
    """
    result = await session.stream(
        _export_query(filters).execution_options(yield_per=batch_size)
    )
    async for batch in result.partitions(batch_size):
        yield batch
