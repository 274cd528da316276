"""SQL of reconciliations."""

from collections.abc import Sequence

from recon_common.events import GroupOrigin, MatchGroupStatus
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import (
    ReportMatchGroup,
    ReportMatchItem,
    ReportReconciliation,
    ReportTransaction,
)


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
