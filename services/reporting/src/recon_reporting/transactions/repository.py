"""SQL of the transaction search."""

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import ReportTransaction, TransactionStatus
from recon_reporting.readmodel.repository import batches
from recon_reporting.reconciliations.repository import INTRADAY_FORMATS
from recon_reporting.transactions.schemas import ListedStatus, TransactionFilters


def _status_condition(status: str) -> ColumnElement[bool]:
    # The same split as the summary's `count_unassigned_intraday`.
    model = ReportTransaction
    unassigned = model.status == TransactionStatus.UNASSIGNED.value
    if status == ListedStatus.INTRADAY:
        return and_(unassigned, model.source_format.in_(INTRADAY_FORMATS))
    if status == ListedStatus.UNASSIGNED:
        return and_(unassigned, model.source_format.not_in(INTRADAY_FORMATS))
    return model.status == status


def _filtered(filters: TransactionFilters) -> Select[ReportTransaction]:
    model = ReportTransaction
    query = select(model)
    if filters.reconciliation_id is not None:
        query = query.where(model.reconciliation_id == filters.reconciliation_id)
    if filters.account is not None:
        query = query.where(model.account == filters.account)
    if filters.record_kind is not None:
        query = query.where(model.record_kind == filters.record_kind.value)
    if filters.status is not None:
        query = query.where(_status_condition(filters.status.value))
    if filters.value_date_from is not None:
        query = query.where(model.value_date >= filters.value_date_from)
    if filters.value_date_to is not None:
        query = query.where(model.value_date <= filters.value_date_to)
    if filters.currency is not None:
        query = query.where(model.currency == filters.currency.upper())
    return query


async def count_transactions(
    session: AsyncSession, *, filters: TransactionFilters
) -> int:
    """Count the transactions that match `filters`."""
    subquery = _filtered(filters).subquery()
    return await session.scalar(select(func.count()).select_from(subquery)) or 0


async def list_transactions(
    session: AsyncSession,
    *,
    filters: TransactionFilters,
    limit: int,
    offset: int,
    after: tuple[date, str] | None,
) -> Sequence[ReportTransaction]:
    """Return one page ordered by value date and id, after `after` or at `offset`."""
    model = ReportTransaction
    query = _filtered(filters)
    if after is not None:
        value_date, transaction_id = after
        query = query.where(
            or_(
                model.value_date > value_date,
                and_(
                    model.value_date == value_date,
                    model.transaction_id > transaction_id,
                ),
            )
        )
    else:
        query = query.offset(offset)
    query = query.order_by(model.value_date, model.transaction_id).limit(limit)
    return (await session.scalars(query)).all()


async def get_transaction(
    session: AsyncSession, *, transaction_id: str
) -> ReportTransaction | None:
    """Return the transaction `transaction_id`, if it is known."""
    return await session.get(ReportTransaction, transaction_id)


async def get_transactions(
    session: AsyncSession, *, transaction_ids: Collection[str]
) -> dict[str, ReportTransaction]:
    """Return the known transactions among `transaction_ids`, by id."""
    found: dict[str, ReportTransaction] = {}
    for chunk in batches(sorted(set(transaction_ids))):
        rows = await session.scalars(
            select(ReportTransaction).where(ReportTransaction.transaction_id.in_(chunk))
        )
        found.update((row.transaction_id, row) for row in rows)
    return found


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """Count all transactions by status."""
    rows = await session.execute(
        select(ReportTransaction.status, func.count()).group_by(
            ReportTransaction.status
        )
    )
    return {status: count for status, count in rows}
