"""SQL of the operator pages that the break and match repositories do not cover."""

from collections.abc import Collection, Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import ReportBreak, ReportTransaction
from recon_reporting.readmodel.repository import batches

BreakRow = tuple[ReportBreak, ReportTransaction | None]


def _breaks_with_transactions() -> Select[ReportBreak, ReportTransaction]:
    return select(ReportBreak, ReportTransaction).outerjoin(
        ReportTransaction,
        ReportTransaction.transaction_id == ReportBreak.transaction_id,
    )


async def breaks_by_id(
    session: AsyncSession, *, transaction_ids: Collection[str]
) -> dict[str, BreakRow]:
    """Return the open breaks among `transaction_ids` with their transactions."""
    found: dict[str, BreakRow] = {}
    for chunk in batches(sorted(set(transaction_ids))):
        rows = await session.execute(
            _breaks_with_transactions().where(ReportBreak.transaction_id.in_(chunk))
        )
        for item, transaction in rows:
            found[item.transaction_id] = (item, transaction)
    return found


async def breaks_pending_approval(
    session: AsyncSession, *, limit: int
) -> Sequence[BreakRow]:
    """Return open breaks with a pending write-off or force-close request."""
    rows = await session.execute(
        _breaks_with_transactions()
        .where(ReportBreak.pending_approval_id.is_not(None))
        .order_by(ReportBreak.age_date, ReportBreak.transaction_id)
        .limit(limit)
    )
    return [(item, transaction) for item, transaction in rows]
