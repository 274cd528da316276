"""HTTP routes of match groups."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from recon_common.errors import NotFound, Unauthorized, error_responses
from recon_common.events import MatchGroupStatus

from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.auth.dependencies import ApiMasker, ApiUser
from recon_reporting.dependencies import SessionDep
from recon_reporting.matches import repository, service
from recon_reporting.matches.schemas import MatchGroupDetail, MatchGroupPage
from recon_reporting.pagination import Limit, Offset


class MatchGroupNotFound(NotFound):
    pass


router = APIRouter(
    prefix="/api/v1/match-groups",
    tags=["match groups"],
    responses=error_responses(Unauthorized),
)


@router.get("")
async def list_match_groups(
    session: SessionDep,
    user: ApiUser,
    reconciliation_id: Annotated[
        str | None, Query(description="Only the groups of this reconciliation.")
    ] = None,
    status: Annotated[
        MatchGroupStatus | None,
        Query(
            description="Only confirmed groups, or only proposed ones that wait "
            "for an operator's review."
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MatchGroupPage:
    """List match groups, newest first, optionally of one reconciliation or status."""
    rows, total = await repository.list_groups(
        session,
        reconciliation_id=reconciliation_id,
        status=status.value if status is not None else None,
        limit=limit,
        offset=offset,
    )
    items = await service.groups_out(session, rows=rows)
    return MatchGroupPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{group_id}", responses=error_responses(MatchGroupNotFound))
async def get_match_group(
    group_id: str, request: Request, session: SessionDep, masker: ApiMasker
) -> MatchGroupDetail:
    """Return one match group with its transactions."""
    row = await repository.get_group(session, group_id=group_id)
    if row is None:
        raise MatchGroupNotFound(f"match group {group_id!r} not found")
    detail = await service.group_detail(session, row=row, masker=masker)
    audit_revealed(request, session, masker=masker, resource_type="match_group")
    return detail
