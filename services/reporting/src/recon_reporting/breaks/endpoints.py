"""HTTP routes of open breaks."""

from fastapi import APIRouter, Request
from recon_common.errors import Unauthorized, error_responses

from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.auth.dependencies import ApiMasker
from recon_reporting.breaks import service
from recon_reporting.breaks.schemas import AgeBand, BreakPage
from recon_reporting.dependencies import SessionDep
from recon_reporting.pagination import Limit, Offset

router = APIRouter(
    prefix="/api/v1/breaks",
    tags=["breaks"],
    responses=error_responses(Unauthorized),
)


@router.get("")
async def list_breaks(
    request: Request,
    session: SessionDep,
    masker: ApiMasker,
    reconciliation_id: str | None = None,
    account: str | None = None,
    age_band: AgeBand | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> BreakPage:
    """List open breaks, oldest first, with their age in days."""
    query = service.BreakQuery(
        reconciliation_id=reconciliation_id,
        account=account,
        age_band=age_band,
        limit=limit,
        offset=offset,
    )
    page = await service.search_breaks(session, query=query, masker=masker)
    audit_revealed(request, session, masker=masker, resource_type="break")
    return page
