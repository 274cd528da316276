"""Comments, assignment and the four-eyes write-off or force-close of breaks.

A write-off or force-close is a request first. It takes effect only when a second
user approves it. The user who requested it can cancel it by rejecting it but can
never approve it. A matching run that puts the item in a live group withdraws the
request (see `reconciliation.withdrawals`).
"""

import uuid
from datetime import UTC, datetime
from typing import Any, cast

import structlog
from recon_common.errors import Forbidden
from recon_common.events import BreakState, Comment
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions.auth import Actor
from recon_matcher.actions.common import (
    StateConflict,
    claim_group,
    finish_action,
    lock_transactions,
)
from recon_matcher.actions.schemas import ApprovalState, CloseAction
from recon_matcher.breaks.records import LIVE_STATES, break_contract
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import Definition
from recon_matcher.models import ApprovalRecord, BreakRecord, CommentRecord
from recon_matcher.reconciliation.groups import LIVE_GROUP_STATUSES
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)


class OwnApprovalForbidden(Forbidden):
    pass


def new_comment(*, target_type: str, target_id: str, author: str, body: str) -> Comment:
    """Return a comment stamped with a new id and the current time."""
    return Comment(
        comment_id=str(uuid.uuid4()),
        target_type=target_type,
        target_id=target_id,
        author=author,
        body=body,
        created_at=datetime.now(UTC),
    )


async def add_comment(
    session: AsyncSession,
    *,
    definition: Definition,
    comment: Comment,
    actor: Actor,
    settings: MatcherSettings,
) -> Comment:
    """Store a comment on a break or a live group and publish it.

    A group comment first claims the group, so it gets a 404 when a dissolve
    commits first, as a later request would.
    """
    if comment.target_type == "group":
        await claim_group(session, comment.target_id, statuses=LIVE_GROUP_STATUSES)
    session.add(
        CommentRecord(
            comment_id=comment.comment_id,
            target_type=comment.target_type,
            target_id=comment.target_id,
            author=comment.author,
            body=comment.body,
            created_at=comment.created_at,
        )
    )
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action="comment.add",
        resource_type=comment.target_type,
        resource_id=comment.target_id,
        details={"comment_id": comment.comment_id},
        definition=definition,
        changes=MatchChanges(comments=[comment]),
    )
    # The body can hold personal data, so only the ids are logged.
    log.info(
        "matcher.comment.added",
        comment_id=comment.comment_id,
        target_type=comment.target_type,
        target_id=comment.target_id,
        actor=actor.username,
    )
    return comment


def not_live(row: BreakRecord) -> StateConflict:
    """Return the 409 for a change of a break that is not open or assigned."""
    return StateConflict(
        f"the break of transaction {row.transaction_id!r} is {row.state}; only "
        "an open or assigned break can be changed"
    )


async def claim_live_break(session: AsyncSession, row: BreakRecord) -> None:
    """Raise 409 unless the break is still open or assigned, and read it again.

    The UPDATE writes back the state that it finds, so it changes nothing, but
    only a live break matches it. On SQLite, which ignores FOR UPDATE, it takes
    the database write lock, so an approval or a second request that committed
    after the caller read `row` is seen here, and the reads after it are current.
    On PostgreSQL the caller's FOR UPDATE and this UPDATE's row lock do the same.
    """
    result = await session.execute(
        update(BreakRecord)
        .where(
            BreakRecord.transaction_id == row.transaction_id,
            BreakRecord.state.in_(sorted(LIVE_STATES)),
        )
        .values(state=BreakRecord.state)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    if cast(CursorResult[Any], result).rowcount == 1:
        return
    log.info(
        "matcher.break.claim_conflict",
        transaction_id=row.transaction_id,
        state=row.state,
    )
    raise not_live(row)


async def pending_approval(
    session: AsyncSession, transaction_id: str
) -> ApprovalRecord | None:
    """Return the pending write-off or force-close request of a break, if any."""
    found: ApprovalRecord | None = await session.scalar(
        select(ApprovalRecord).where(
            ApprovalRecord.transaction_id == transaction_id,
            ApprovalRecord.state == ApprovalState.PENDING.value,
        )
    )
    return found


async def assign_break(
    session: AsyncSession,
    *,
    definition: Definition,
    row: BreakRecord,
    assignee: str | None,
    actor: Actor,
    settings: MatcherSettings,
) -> BreakRecord:
    """Assign a live break to a user, or with None return it to the open queue."""
    await claim_live_break(session, row)
    previous = row.assignee
    row.assignee = assignee
    row.state = BreakState.ASSIGNED.value if assignee else BreakState.OPEN.value
    row.updated_at = datetime.now(UTC)
    pending = await pending_approval(session, row.transaction_id)
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action="break.assign",
        resource_type="break",
        resource_id=row.transaction_id,
        details={"assignee": assignee or "", "previous_assignee": previous or ""},
        definition=definition,
        changes=MatchChanges(updated_breaks=[break_contract(row, pending=pending)]),
    )
    log.info(
        "matcher.break.assigned",
        transaction_id=row.transaction_id,
        assignee=assignee,
        previous_assignee=previous,
        actor=actor.username,
    )
    return row


async def request_close(
    session: AsyncSession,
    *,
    definition: Definition,
    row: BreakRecord,
    action: CloseAction,
    reason: str,
    actor: Actor,
    settings: MatcherSettings,
) -> ApprovalRecord:
    """Record a write-off or force-close request that waits for a second user.

    The claim on the break serializes two requests for it, so the second one
    reads the first one's pending request and gets a 409.
    """
    await claim_live_break(session, row)
    existing = await pending_approval(session, row.transaction_id)
    if existing is not None:
        raise StateConflict(
            f"the break of transaction {row.transaction_id!r} already has pending "
            f"request {existing.approval_id} ({existing.action}); approve or reject "
            "it first"
        )
    approval = ApprovalRecord(
        approval_id=str(uuid.uuid4()),
        transaction_id=row.transaction_id,
        action=action.value,
        reason=reason,
        state=ApprovalState.PENDING.value,
        requested_by=actor.username,
        requested_at=datetime.now(UTC),
    )
    session.add(approval)
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action=f"break.{action.value}.requested",
        resource_type="break",
        resource_id=row.transaction_id,
        details={"approval_id": approval.approval_id, "reason": reason},
        definition=definition,
        changes=MatchChanges(updated_breaks=[break_contract(row, pending=approval)]),
    )
    log.info(
        "matcher.approval.requested",
        approval_id=approval.approval_id,
        transaction_id=row.transaction_id,
        action=approval.action,
        actor=actor.username,
    )
    return approval


async def decide(
    session: AsyncSession,
    *,
    definition: Definition,
    approval: ApprovalRecord,
    row: BreakRecord,
    approve: bool,
    note: str | None,
    actor: Actor,
    settings: MatcherSettings,
) -> ApprovalRecord:
    """Approve or reject a pending request; approval ends the break.

    The request leaves `pending` through one conditional UPDATE before the break
    changes, so of two users who decide at the same moment exactly one wins. The
    other gets the 409 that a later second decision gets.
    """
    _require_pending(approval)
    if approve and approval.requested_by == actor.username:
        raise OwnApprovalForbidden(
            f"request {approval.approval_id} was made by {actor.username}; a "
            "different user must approve it (four-eyes rule)"
        )
    if approve:
        _require_live_for_approval(approval, row)
    state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    won = await _claim_pending(
        session, approval=approval, state=state, actor=actor, note=note
    )
    # SQLite ignores FOR UPDATE, so there the caller read both rows before this
    # transaction held a lock and both are read again. On PostgreSQL the caller's
    # row locks already keep them current.
    await session.refresh(approval)
    if not won:
        _require_pending(approval)
        raise StateConflict(
            f"request {approval.approval_id} changed while it was being decided; "
            "reload the approvals and try again"
        )
    await session.refresh(row)
    if approve:
        _require_live_for_approval(approval, row)
        await _end_break(session, row=row, action=CloseAction(approval.action))
    verb = "approved" if approve else "rejected"
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action=f"break.{approval.action}.{verb}",
        resource_type="break",
        resource_id=row.transaction_id,
        details={
            "approval_id": approval.approval_id,
            "requested_by": approval.requested_by,
            "reason": approval.reason,
            "note": note or "",
        },
        definition=definition,
        changes=MatchChanges(updated_breaks=[break_contract(row)]),
    )
    log.info(
        "matcher.approval.decided",
        approval_id=approval.approval_id,
        action=approval.action,
        state=approval.state,
        actor=actor.username,
    )
    return approval


def _require_pending(approval: ApprovalRecord) -> None:
    if approval.state == ApprovalState.WITHDRAWN.value:
        raise StateConflict(
            f"request {approval.approval_id} is withdrawn: {approval.decided_by} "
            f"withdrew it because {approval.decision_note or 'its break closed'}. "
            "A withdrawn request cannot be approved or rejected; if the item is "
            "unmatched later, request the write-off or force-close again"
        )
    if approval.state != ApprovalState.PENDING.value:
        raise StateConflict(
            f"request {approval.approval_id} is {approval.state} already; "
            "a decided request cannot change"
        )


def _require_live_for_approval(approval: ApprovalRecord, row: BreakRecord) -> None:
    if row.state not in LIVE_STATES:
        # A run withdraws the request in the transaction that matches the item, so
        # only a request left pending by an earlier matcher version gets here.
        raise StateConflict(
            f"request {approval.approval_id} cannot be approved: the break of "
            f"transaction {row.transaction_id!r} is {row.state} since the request "
            "was made; reject the request instead"
        )


async def _claim_pending(
    session: AsyncSession,
    *,
    approval: ApprovalRecord,
    state: ApprovalState,
    actor: Actor,
    note: str | None,
) -> bool:
    """Move a pending request to `state` and return whether this call moved it.

    The WHERE clause on `state` makes the update conditional, so when two
    transactions race only the first changes the row. The second waits for the
    first to commit (the PostgreSQL row lock, or the SQLite write lock) and then
    matches no row.
    """
    result = await session.execute(
        update(ApprovalRecord)
        .where(
            ApprovalRecord.approval_id == approval.approval_id,
            ApprovalRecord.state == ApprovalState.PENDING.value,
        )
        .values(
            state=state.value,
            decided_by=actor.username,
            decided_at=datetime.now(UTC),
            decision_note=note,
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def _end_break(
    session: AsyncSession, *, row: BreakRecord, action: CloseAction
) -> None:
    written_off = action is CloseAction.WRITE_OFF
    row.state = (BreakState.WRITTEN_OFF if written_off else BreakState.CLOSED).value
    row.updated_at = datetime.now(UTC)
    # The item's state follows its break, so neither state is open and no later
    # run matches the item. The lock makes a manual match of the item that waits
    # for it read the ended break.
    await lock_transactions(session, [row.transaction_id])
