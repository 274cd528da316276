"""Reconciliation counts and the platform summary."""

from decimal import ROUND_HALF_EVEN, Decimal

from recon_common.events import FileStatus
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.breaks.repository import count_breaks
from recon_reporting.files.repository import count_files
from recon_reporting.models import ReportReconciliation, TransactionStatus
from recon_reporting.reconciliations.schemas import ReconciliationOut, Summary
from recon_reporting.transactions.repository import count_by_status

_RATE_PLACES = Decimal("0.0001")


def auto_match_rate(matched: int, transactions: int) -> Decimal:
    """Return matched / transactions to four places, or 0 with no transactions."""
    if transactions == 0:
        return Decimal(0).quantize(_RATE_PLACES)
    return (Decimal(matched) / Decimal(transactions)).quantize(
        _RATE_PLACES, rounding=ROUND_HALF_EVEN
    )


def reconciliation_out(row: ReportReconciliation) -> ReconciliationOut:
    """Return the API view of one reconciliation."""
    return ReconciliationOut(
        reconciliation_id=row.reconciliation_id,
        name=row.name,
        transactions=row.transactions,
        matched=row.matched,
        open_breaks=row.open_breaks,
        auto_match_rate=auto_match_rate(row.matched, row.transactions),
        run_id=row.run_id,
        reported_at=row.reported_at,
    )


async def build_summary(session: AsyncSession) -> Summary:
    """Count files, transactions, matches and open breaks in the read model."""
    by_status = await count_by_status(session)
    transactions = sum(by_status.values())
    matched = by_status.get(TransactionStatus.MATCHED.value, 0)
    return Summary(
        files=await count_files(session, status=None),
        files_rejected=await count_files(session, status=FileStatus.REJECTED),
        transactions=transactions,
        matched=matched,
        open_breaks=await count_breaks(session),
        auto_match_rate=auto_match_rate(matched, transactions),
    )
