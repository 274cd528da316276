"""HTTP routes of reconciliations and the platform summary."""

from fastapi import APIRouter
from recon_common.errors import NotFound, Unauthorized, error_responses

from recon_reporting.auth.dependencies import ApiUser
from recon_reporting.dependencies import SessionDep
from recon_reporting.reconciliations import repository, service
from recon_reporting.reconciliations.schemas import (
    ReconciliationList,
    ReconciliationOut,
    Summary,
)


class ReconciliationNotFound(NotFound):
    pass


router = APIRouter(
    prefix="/api/v1", tags=["reconciliations"], responses=error_responses(Unauthorized)
)


@router.get("/summary")
async def get_summary(session: SessionDep, user: ApiUser) -> Summary:
    """Return totals: files, transactions, matched, unassigned, open breaks, rate."""
    return await service.build_summary(session)


@router.get("/reconciliations")
async def list_reconciliations(
    session: SessionDep, user: ApiUser
) -> ReconciliationList:
    """List reconciliations with their counts and auto-match rate."""
    return ReconciliationList(items=await service.list_reconciliations_out(session))


@router.get(
    "/reconciliations/{reconciliation_id}",
    responses=error_responses(ReconciliationNotFound),
)
async def get_reconciliation(
    reconciliation_id: str, session: SessionDep, user: ApiUser
) -> ReconciliationOut:
    """Return one reconciliation with its counts."""
    row = await repository.get_reconciliation(
        session, reconciliation_id=reconciliation_id
    )
    if row is None:
        raise ReconciliationNotFound(f"reconciliation {reconciliation_id!r} not found")
    auto_matched = await repository.count_auto_matched(session)
    return service.reconciliation_out(row, auto_matched=auto_matched)
