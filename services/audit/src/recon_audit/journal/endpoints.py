"""HTTP routes of the audit journal."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from recon_common.errors import error_responses
from recon_common.service_auth import InvalidServiceToken, require_service_token
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.dependencies import get_session
from recon_audit.journal import repository
from recon_audit.journal.schemas import ChainVerification, JournalEntryOut, JournalPage
from recon_audit.sealing import verify as sealed_verify

router = APIRouter(
    prefix="/v1/journal",
    tags=["journal"],
    dependencies=[Depends(require_service_token)],
    responses=error_responses(InvalidServiceToken),
)

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.get("")
async def list_journal(
    session: SessionDep,
    after_sequence: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: str | None = None,
    actor: str | None = None,
) -> JournalPage:
    """List journal entries after a sequence number, oldest first."""
    rows = await repository.list_entries(
        session, after_sequence=after_sequence, limit=limit, action=action, actor=actor
    )
    entries = [JournalEntryOut.from_row(row) for row in rows]
    next_after = entries[-1].sequence if len(entries) == limit else None
    return JournalPage(entries=entries, next_after_sequence=next_after)


@router.get("/verify")
async def verify_journal(request: Request, session: SessionDep) -> ChainVerification:
    """Compare the journal with its sealed segments and verify its hash chain."""
    report = await sealed_verify.verify_journal(
        session,
        store=getattr(request.app.state, "segment_store", None),
        bank_id=request.app.state.settings.bank_id,
    )
    return ChainVerification(
        valid=report.valid,
        entries=report.entries,
        sealed_segments=report.sealed_segments,
        sealed_entries=report.sealed_entries,
        first_invalid_sequence=report.first_invalid_sequence,
        reason=report.reason,
        action=report.action,
    )
