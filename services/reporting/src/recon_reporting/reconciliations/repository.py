"""SQL of reconciliations."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import ReportReconciliation


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
