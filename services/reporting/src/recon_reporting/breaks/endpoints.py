"""HTTP routes of open breaks."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from recon_common.errors import Unauthorized, error_responses

from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.actions.assignees import read_assignees
from recon_reporting.auth.dependencies import ApiMasker, ApiUser
from recon_reporting.breaks import service
from recon_reporting.breaks.schemas import AgeBand, AssigneeOut, BreakPage
from recon_reporting.dependencies import SessionDep, SettingsDep
from recon_reporting.pagination import Limit, Offset

router = APIRouter(
    prefix="/api/v1/breaks",
    tags=["breaks"],
    responses=error_responses(Unauthorized),
)


@router.get("", responses=error_responses(service.InvalidAccountFilter))
async def list_breaks(
    request: Request,
    session: SessionDep,
    masker: ApiMasker,
    reconciliation_id: str | None = None,
    account: Annotated[
        str | None, Query(description=service.ACCOUNT_FILTER_HELP)
    ] = None,
    age_band: AgeBand | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> BreakPage:
    """List open breaks, oldest first, with their age in days."""
    query = service.BreakQuery(
        reconciliation_id=reconciliation_id,
        account=(
            service.parse_account_filter(account, masker=masker)
            if account and account.strip()
            else None
        ),
        age_band=age_band,
        limit=limit,
        offset=offset,
    )
    page = await service.search_breaks(session, query=query, masker=masker)
    audit_revealed(request, session, masker=masker, resource_type="break")
    return page


@router.get("/assignees")
async def list_assignees(settings: SettingsDep, user: ApiUser) -> list[AssigneeOut]:
    """List the users to whom a break may be assigned: operators and approvers."""
    return [
        AssigneeOut(username=item.username, role=item.role.value)
        for item in read_assignees(settings.users_file)
    ]
