"""Reconciliation counts and the platform summary."""

from decimal import ROUND_HALF_EVEN, Decimal

from recon_common.events import FileStatus
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.breaks.repository import count_breaks
from recon_reporting.files.repository import count_files
from recon_reporting.models import ReportReconciliation, TransactionStatus
from recon_reporting.reconciliations import repository
from recon_reporting.reconciliations.schemas import ReconciliationOut, Summary
from recon_reporting.transactions.repository import count_by_status

_RATE_PLACES = Decimal("0.0001")


def auto_match_rate(auto_matched: int, transactions: int) -> Decimal:
    """Return auto_matched / transactions to four places, 0 with no transactions."""
    if transactions == 0:
        return Decimal(0).quantize(_RATE_PLACES)
    return (Decimal(auto_matched) / Decimal(transactions)).quantize(
        _RATE_PLACES, rounding=ROUND_HALF_EVEN
    )


def reconciliation_out(
    row: ReportReconciliation, *, auto_matched: dict[str, int]
) -> ReconciliationOut:
    """Return the API view of one reconciliation.

    `auto_matched` is the result of `repository.count_auto_matched`.
    """
    count = auto_matched.get(row.reconciliation_id, 0)
    return ReconciliationOut(
        reconciliation_id=row.reconciliation_id,
        name=row.name,
        transactions=row.transactions,
        matched=row.matched,
        auto_matched=count,
        open_breaks=row.open_breaks,
        auto_match_rate=auto_match_rate(count, row.transactions),
        run_id=row.run_id,
        reported_at=row.reported_at,
    )


async def list_reconciliations_out(session: AsyncSession) -> list[ReconciliationOut]:
    """Return every reconciliation with its counts, by name."""
    rows = await repository.list_reconciliations(session)
    auto_matched = await repository.count_auto_matched(session)
    return [reconciliation_out(row, auto_matched=auto_matched) for row in rows]


async def build_summary(session: AsyncSession) -> Summary:
    """Count files, transactions, matches, unassigned transactions and open breaks."""
    by_status = await count_by_status(session)
    transactions = sum(by_status.values())
    intraday = await repository.count_unassigned_intraday(session)
    unassigned = by_status.get(TransactionStatus.UNASSIGNED.value, 0) - intraday
    matched = by_status.get(TransactionStatus.MATCHED.value, 0)
    auto_matched = sum((await repository.count_auto_matched(session)).values())
    # Transactions that no reconciliation has taken cannot be matched, so they are
    # left out of the rate; the summary counts them on their own.
    reconciled = transactions - unassigned - intraday
    return Summary(
        files=await count_files(session, status=None),
        files_rejected=await count_files(session, status=FileStatus.REJECTED),
        transactions=transactions,
        matched=matched,
        auto_matched=auto_matched,
        unassigned=unassigned,
        intraday_unassigned=intraday,
        open_breaks=await count_breaks(session),
        auto_match_rate=auto_match_rate(auto_matched, reconciled),
    )
