"""HTTP routes of the matcher: reconciliations and their counts."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from recon_common.errors import error_responses
from recon_common.service_auth import InvalidServiceToken, require_service_token
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.dependencies import get_session
from recon_matcher.reconciliation import repository
from recon_matcher.reconciliation.schemas import ReconciliationOut

router = APIRouter(
    prefix="/v1/reconciliations",
    tags=["reconciliations"],
    dependencies=[Depends(require_service_token)],
    responses=error_responses(InvalidServiceToken),
)

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.get("")
async def list_reconciliations(
    request: Request, session: SessionDep
) -> list[ReconciliationOut]:
    """List the configured reconciliations with their item counts."""
    found = []
    for definition in request.app.state.definitions:
        counts = await repository.reconciliation_counts(
            session, reconciliation_id=definition.id
        )
        found.append(
            ReconciliationOut(
                reconciliation_id=definition.id,
                name=definition.name,
                transactions=sum(counts.values()),
                matched=counts.get("matched", 0),
                proposed=counts.get("proposed", 0),
                open_breaks=counts.get("open", 0),
            )
        )
    return found
