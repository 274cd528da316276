"""HTTP routes of the operator actions, called by the reporting service.

Every route needs the service token and the acting user (see `actions.auth`). Each
change is audited and published as `matches-produced` in the request's transaction.
"""

from datetime import date
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request
from recon_common.audit import record_audit
from recon_common.db import session_scope
from recon_common.errors import InvalidRequest, error_responses
from recon_common.events import AuditOutcome, Break, Comment, MatchGroup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions import breaks, matches
from recon_matcher.actions.auth import (
    ActionForbidden,
    Actor,
    ActorDep,
    InvalidServiceToken,
    MissingActingUser,
    SettingsDep,
)
from recon_matcher.actions.common import (
    ApprovalNotFound,
    BreakNotFound,
    GroupNotFound,
    ReconciliationNotFound,
    StateConflict,
    TransactionNotFound,
    find_definition,
    finish_action,
    get_break,
    get_break_after_transaction,
    get_group,
)
from recon_matcher.actions.schemas import (
    ApprovalOut,
    ApprovalState,
    AssignRequest,
    CloseRequest,
    CommentRequest,
    ManualMatchOut,
    ManualMatchRequest,
    OptionalReasonRequest,
    ReasonRequest,
    RerunOut,
)
from recon_matcher.breaks.records import break_contract
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import Definition
from recon_matcher.dependencies import get_session
from recon_matcher.models import ApprovalRecord, OutboxMessage
from recon_matcher.reconciliation import rerun

log = structlog.get_logger(__name__)

router = APIRouter(
    prefix="/v1",
    tags=["operator actions"],
    responses=error_responses(InvalidServiceToken, MissingActingUser, ActionForbidden),
)

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def _definitions(request: Request) -> list[Definition]:
    found: list[Definition] = request.app.state.definitions
    return found


@router.post(
    "/reconciliations/{reconciliation_id}/manual-matches",
    status_code=201,
    responses=error_responses(
        ReconciliationNotFound,
        TransactionNotFound,
        StateConflict,
        matches.OutsideTolerance,
    ),
)
async def create_manual_match(
    reconciliation_id: str,
    body: ManualMatchRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> ManualMatchOut:
    """Match open items by hand, within the definition's tolerance unless forced."""
    definition = find_definition(_definitions(request), reconciliation_id)
    return await matches.manual_match(
        session, definition=definition, request=body, actor=actor, settings=settings
    )


@router.post(
    "/match-groups/{group_id}/unmatch",
    responses=error_responses(GroupNotFound, ReconciliationNotFound),
)
async def unmatch_group(
    group_id: str,
    body: ReasonRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> list[str]:
    """Dissolve a group; return the ids of its items, which are open breaks again."""
    row = await get_group(session, group_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    return await matches.unmatch(
        session,
        definition=definition,
        row=row,
        reason=body.reason,
        actor=actor,
        settings=settings,
    )


@router.post(
    "/match-groups/{group_id}/confirm",
    responses=error_responses(GroupNotFound, StateConflict),
)
async def confirm_group(
    group_id: str,
    body: OptionalReasonRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> MatchGroup:
    """Confirm a proposed group."""
    row = await get_group(session, group_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    return await matches.confirm_group(
        session,
        definition=definition,
        row=row,
        reason=body.reason,
        actor=actor,
        settings=settings,
    )


@router.post(
    "/match-groups/{group_id}/reject",
    responses=error_responses(GroupNotFound, StateConflict),
)
async def reject_group(
    group_id: str,
    body: ReasonRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> list[str]:
    """Reject a proposed group; return the ids of its items, open breaks again."""
    row = await get_group(session, group_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    return await matches.reject_group(
        session,
        definition=definition,
        row=row,
        reason=body.reason,
        actor=actor,
        settings=settings,
    )


@router.post(
    "/match-groups/{group_id}/comments",
    status_code=201,
    responses=error_responses(GroupNotFound),
)
async def comment_group(
    group_id: str,
    body: CommentRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> Comment:
    """Add a comment to a live group."""
    row = await get_group(session, group_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    comment = breaks.new_comment(
        target_type="group", target_id=group_id, author=actor.username, body=body.body
    )
    return await breaks.add_comment(
        session, definition=definition, comment=comment, actor=actor, settings=settings
    )


@router.post(
    "/breaks/{transaction_id}/comments",
    status_code=201,
    responses=error_responses(BreakNotFound),
)
async def comment_break(
    transaction_id: str,
    body: CommentRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> Comment:
    """Add a comment to a break."""
    row = await get_break(session, transaction_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    comment = breaks.new_comment(
        target_type="break",
        target_id=transaction_id,
        author=actor.username,
        body=body.body,
    )
    return await breaks.add_comment(
        session, definition=definition, comment=comment, actor=actor, settings=settings
    )


@router.post(
    "/breaks/{transaction_id}/assign",
    responses=error_responses(BreakNotFound, StateConflict),
)
async def assign_break(
    transaction_id: str,
    body: AssignRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> Break:
    """Assign an open break to a user, or return it to the open queue with null."""
    row = await get_break_after_transaction(session, transaction_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    await breaks.assign_break(
        session,
        definition=definition,
        row=row,
        assignee=body.assignee,
        actor=actor,
        settings=settings,
    )
    return break_contract(
        row, pending=await breaks.pending_approval(session, transaction_id)
    )


@router.post(
    "/breaks/{transaction_id}/close-requests",
    status_code=201,
    responses=error_responses(BreakNotFound, StateConflict),
)
async def request_close(
    transaction_id: str,
    body: CloseRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> ApprovalOut:
    """Request a write-off or force-close of a break, which a second user approves."""
    row = await get_break_after_transaction(session, transaction_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    approval = await breaks.request_close(
        session,
        definition=definition,
        row=row,
        action=body.action,
        reason=body.reason,
        actor=actor,
        settings=settings,
    )
    return ApprovalOut.model_validate(approval)


@router.get("/approvals")
async def list_approvals(
    session: SessionDep, actor: ActorDep, state: ApprovalState = ApprovalState.PENDING
) -> list[ApprovalOut]:
    """List write-off and force-close requests in one state, oldest first.

    At most 500 are returned. Requests that a matching run withdrew are in state
    `withdrawn`, with the run as `decided_by` and the group in `decision_note`.
    """
    rows = await session.scalars(
        select(ApprovalRecord)
        .where(ApprovalRecord.state == state.value)
        .order_by(ApprovalRecord.requested_at)
        .limit(500)
    )
    return [ApprovalOut.model_validate(row) for row in rows]


async def _lock_approval(session: AsyncSession, approval_id: str) -> ApprovalRecord:
    approval = await session.scalar(
        select(ApprovalRecord)
        .where(ApprovalRecord.approval_id == approval_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if approval is None:
        raise ApprovalNotFound(f"approval request {approval_id!r} not found")
    return approval


async def _decide(
    request: Request,
    session: AsyncSession,
    *,
    approval_id: str,
    approve: bool,
    note: str | None,
    actor: ActorDep,
    settings: SettingsDep,
) -> ApprovalOut:
    found = await session.get(ApprovalRecord, approval_id)
    if found is None:
        raise ApprovalNotFound(f"approval request {approval_id!r} not found")
    # The transaction, its break and then its request are locked. A manual match,
    # a close request and a matching run that withdraws the request take them in
    # the same order, so they wait for this decision instead of deadlocking. The
    # request is read again under its lock, because a run may have withdrawn it
    # meanwhile. SQLite ignores these locks, so `breaks.decide` also claims the
    # request with a conditional UPDATE, which lets only one of two racing
    # decisions through on both databases.
    row = await get_break_after_transaction(session, found.transaction_id)
    approval = await _lock_approval(session, approval_id)
    definition = find_definition(_definitions(request), row.reconciliation_id)
    try:
        await breaks.decide(
            session,
            definition=definition,
            approval=approval,
            row=row,
            approve=approve,
            note=note,
            actor=actor,
            settings=settings,
        )
    except breaks.OwnApprovalForbidden:
        # The request's transaction rolls back, so the refusal is audited apart.
        async with session_scope(request.app.state.runtime.sessions) as audit_session:
            record_audit(
                audit_session,
                OutboxMessage,
                settings=settings,
                actor=actor.username,
                action=f"break.{approval.action}.approve",
                resource_type="break",
                resource_id=approval.transaction_id,
                outcome=AuditOutcome.FAILURE,
                details={
                    "approval_id": approval_id,
                    "role": actor.role,
                    "error": "requester cannot approve own request",
                },
            )
        raise
    return ApprovalOut.model_validate(approval)


@router.post(
    "/approvals/{approval_id}/approve",
    responses=error_responses(
        ApprovalNotFound, breaks.OwnApprovalForbidden, StateConflict
    ),
)
async def approve(
    approval_id: str,
    body: OptionalReasonRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> ApprovalOut:
    """Approve another user's write-off or force-close request, ending the break."""
    return await _decide(
        request,
        session,
        approval_id=approval_id,
        approve=True,
        note=body.reason,
        actor=actor,
        settings=settings,
    )


@router.post(
    "/approvals/{approval_id}/reject",
    responses=error_responses(ApprovalNotFound, StateConflict),
)
async def reject(
    approval_id: str,
    body: OptionalReasonRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> ApprovalOut:
    """Reject a write-off or force-close request; the break stays open."""
    return await _decide(
        request,
        session,
        approval_id=approval_id,
        approve=False,
        note=body.reason,
        actor=actor,
        settings=settings,
    )


@router.post(
    "/reconciliations/{reconciliation_id}/rerun",
    responses=error_responses(ReconciliationNotFound, InvalidRequest),
)
async def rerun_reconciliation(
    reconciliation_id: str,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    value_date_from: Annotated[date, Query(alias="from")],
    value_date_to: Annotated[date, Query(alias="to")],
    dry_run: bool = True,
) -> RerunOut:
    """Match a value-date range again with the current definition."""
    definition = find_definition(_definitions(request), reconciliation_id)
    if value_date_to < value_date_from:
        raise InvalidRequest(
            f"invalid range: to {value_date_to} is before from {value_date_from}"
        )
    plan, _ = await rerun.plan_rerun(
        session, definition=definition, start=value_date_from, end=value_date_to
    )
    out = RerunOut(
        reconciliation_id=definition.id,
        value_date_from=value_date_from,
        value_date_to=value_date_to,
        dry_run=dry_run,
        items_considered=len(plan.items),
        items_adopted=len(plan.adopted),
        groups_kept=len(plan.kept),
        groups_formed=plan.form,
        dissolved_group_ids=rerun.group_ids(plan.dissolve),
        open_breaks_after=rerun.open_after(plan),
        withdrawn_requests=plan.withdrawals,
        ran_at=plan.ran_at,
    )
    if dry_run:
        _log_rerun(out, actor=actor)
        return out
    changes = MatchChanges()
    await rerun.apply_rerun(
        session, definition=definition, plan=plan, settings=settings, changes=changes
    )
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action="reconciliation.rerun",
        resource_type="reconciliation",
        resource_id=definition.id,
        details={
            "from": value_date_from.isoformat(),
            "to": value_date_to.isoformat(),
            "items_adopted": str(len(plan.adopted)),
            "groups_formed": str(len(plan.form)),
            "groups_dissolved": str(len(plan.dissolve)),
        },
        definition=definition,
        changes=changes,
    )
    _log_rerun(out, actor=actor)
    return out


def _log_rerun(out: RerunOut, *, actor: Actor) -> None:
    # The withdrawals are those of the plan. A request that another action
    # decided between planning and applying stays as it is, and each request
    # that is withdrawn logs its own `matcher.approval.withdrawn` line.
    log.info(
        "matcher.reconciliation.rerun",
        reconciliation_id=out.reconciliation_id,
        value_date_from=out.value_date_from.isoformat(),
        value_date_to=out.value_date_to.isoformat(),
        dry_run=out.dry_run,
        items_considered=out.items_considered,
        items_adopted=out.items_adopted,
        groups_kept=out.groups_kept,
        groups_formed=len(out.groups_formed),
        groups_dissolved=len(out.dissolved_group_ids),
        requests_withdrawn=len(out.withdrawn_requests),
        open_breaks_after=out.open_breaks_after,
        actor=actor.username,
    )
