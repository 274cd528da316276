"""SQL of open breaks."""

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import ReportBreak, ReportComment, ReportTransaction


async def list_breaks(
    session: AsyncSession,
    *,
    reconciliation_id: str | None,
    account: str | None,
    age_date_from: date | None,
    age_date_to: date | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[ReportBreak, ReportTransaction | None]], int]:
    """Return one page of open breaks, oldest first, and the total that match.

    Oldest means the earliest age date, so the order matches the ages shown. The read
    model fills `age_date` of every break, so the filters need no fallback.
    """
    age_start = ReportBreak.age_date
    query = select(ReportBreak, ReportTransaction).outerjoin(
        ReportTransaction,
        ReportTransaction.transaction_id == ReportBreak.transaction_id,
    )
    if reconciliation_id is not None:
        query = query.where(ReportBreak.reconciliation_id == reconciliation_id)
    if account is not None:
        query = query.where(ReportTransaction.account == account)
    if age_date_from is not None:
        query = query.where(age_start >= age_date_from)
    if age_date_to is not None:
        query = query.where(age_start <= age_date_to)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(age_start, ReportBreak.transaction_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def count_breaks(
    session: AsyncSession, *, reconciliation_id: str | None = None
) -> int:
    """Count open breaks, optionally of one reconciliation."""
    query = select(func.count()).select_from(ReportBreak)
    if reconciliation_id is not None:
        query = query.where(ReportBreak.reconciliation_id == reconciliation_id)
    return await session.scalar(query) or 0


async def comments_of(
    session: AsyncSession, *, target_type: str, target_ids: Collection[str]
) -> dict[str, list[ReportComment]]:
    """Return the comments on each of `target_ids`, oldest first."""
    found: dict[str, list[ReportComment]] = {}
    ids = sorted(set(target_ids))
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(ReportComment)
            .where(
                ReportComment.target_type == target_type,
                ReportComment.target_id.in_(ids[start : start + 500]),
            )
            .order_by(ReportComment.created_at, ReportComment.comment_id)
        )
        for row in rows:
            found.setdefault(row.target_id, []).append(row)
    return found
