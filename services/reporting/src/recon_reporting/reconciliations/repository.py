"""SQL of reconciliations."""

from collections.abc import Sequence
from typing import Final

from recon_common.events import GroupOrigin, MatchGroupStatus
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import (
    ReportMatchGroup,
    ReportMatchItem,
    ReportReconciliation,
    ReportTransaction,
    TransactionStatus,
)

# The `source_format` values of intraday reports. The matcher reconciles their
# entries only for a definition side that names the format, because the
# end-of-day statement repeats them. It keeps the same set in `routing`.
INTRADAY_FORMATS: Final = ("camt.052", "mt942")


async def list_reconciliations(
    session: AsyncSession,
) -> Sequence[ReportReconciliation]:
    """Return every reconciliation, by name."""
    rows = await session.scalars(
        select(ReportReconciliation).order_by(
            ReportReconciliation.name, ReportReconciliation.reconciliation_id
        )
    )
    return rows.all()


async def get_reconciliation(
    session: AsyncSession, *, reconciliation_id: str
) -> ReportReconciliation | None:
    """Return the reconciliation `reconciliation_id`, if the matcher reported it."""
    return await session.get(ReportReconciliation, reconciliation_id)


async def count_auto_matched(session: AsyncSession) -> dict[str, int]:
    """Count transactions in confirmed engine groups, by reconciliation id.

    Groups that an operator made by hand and proposals that wait for a decision are
    not counted. Items whose transaction has not reached the read model are skipped.
    """
    rows = await session.execute(
        select(ReportMatchGroup.reconciliation_id, func.count())
        .select_from(ReportMatchItem)
        .join(ReportMatchGroup, ReportMatchGroup.group_id == ReportMatchItem.group_id)
        .join(
            ReportTransaction,
            ReportTransaction.transaction_id == ReportMatchItem.transaction_id,
        )
        .where(
            ReportMatchGroup.origin == GroupOrigin.ENGINE.value,
            ReportMatchGroup.status == MatchGroupStatus.CONFIRMED.value,
        )
        .group_by(ReportMatchGroup.reconciliation_id)
    )
    return {reconciliation_id: count for reconciliation_id, count in rows}


async def count_unassigned_intraday(session: AsyncSession) -> int:
    """Count the unassigned transactions that came from intraday reports."""
    count = await session.scalar(
        select(func.count()).where(
            ReportTransaction.status == TransactionStatus.UNASSIGNED.value,
            ReportTransaction.source_format.in_(INTRADAY_FORMATS),
        )
    )
    return count or 0
