"""Withdrawing the pending close requests of items that a matching run grouped.

A write-off or force-close request ends a break once a second user approves it.
When a run or an applied re-run puts the item in a live group, the run closes the
break, so the request can no longer take effect. The run then withdraws it in its
own transaction. The request records the run as the decider and the group in its
note. An audit event records the transition, and a `matches-produced` message
carries it with the action and actor, as the approve and reject routes do. A dry
re-run lists the requests that applying it would withdraw (`planned_withdrawals`).

Lock order: a request is locked after its break. The run has closed, and so locked,
the breaks of its grouped items before it locks their requests here, and the
approve and reject routes lock the break before the request, so the two cannot
deadlock on PostgreSQL.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Final

import structlog
from recon_common.audit import record_audit
from recon_common.events import MatchGroup
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions.schemas import ApprovalState, PlannedWithdrawal
from recon_matcher.changes import MatchChanges, new_run_id, publish_changes
from recon_matcher.definitions import Definition
from recon_matcher.models import (
    ApprovalRecord,
    MatchGroupItem,
    MatchGroupRecord,
    OutboxMessage,
    TransactionRecord,
)
from recon_matcher.reconciliation.groups import LIVE_GROUP_STATUSES
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

# The `decided_by` of a request that a matching run withdrew, and the actor of its
# audit event and `matches-produced` message.
RUN_ACTOR: Final = "matcher run"


def _pending_in_live_groups(
    definition: Definition,
) -> Select[ApprovalRecord, str]:
    return (
        select(ApprovalRecord, MatchGroupItem.group_id)
        .join(
            MatchGroupItem,
            MatchGroupItem.transaction_id == ApprovalRecord.transaction_id,
        )
        .join(
            MatchGroupRecord,
            MatchGroupRecord.group_id == MatchGroupItem.group_id,
        )
        .where(
            ApprovalRecord.state == ApprovalState.PENDING.value,
            MatchGroupRecord.reconciliation_id == definition.id,
            MatchGroupRecord.status.in_(sorted(LIVE_GROUP_STATUSES)),
        )
        .order_by(ApprovalRecord.transaction_id)
    )


async def planned_withdrawals(
    session: AsyncSession,
    *,
    definition: Definition,
    form: Sequence[MatchGroup],
    dissolved_group_ids: Collection[str],
) -> list[PlannedWithdrawal]:
    """Return the requests that dissolving and then forming groups would withdraw.

    These are the pending requests of `definition` whose item would be in a live
    group afterwards: a group of `form`, or a live group now that is not among
    `dissolved_group_ids`. Both reads start from the pending requests, which are
    few, and nothing is locked or written.
    """
    planned: dict[str, PlannedWithdrawal] = {}
    current = await session.execute(_pending_in_live_groups(definition))
    for approval, group_id in current:
        if group_id not in dissolved_group_ids:
            planned[approval.approval_id] = _planned(approval, group_id)
    pending = await session.scalars(
        select(ApprovalRecord)
        .join(
            TransactionRecord,
            TransactionRecord.transaction_id == ApprovalRecord.transaction_id,
        )
        .where(
            ApprovalRecord.state == ApprovalState.PENDING.value,
            TransactionRecord.reconciliation_id == definition.id,
        )
    )
    by_item: dict[str, list[ApprovalRecord]] = {}
    for approval in pending:
        by_item.setdefault(approval.transaction_id, []).append(approval)
    if by_item:
        for group in form:
            for transaction_id in group.transaction_ids:
                for approval in by_item.get(transaction_id, []):
                    planned[approval.approval_id] = _planned(approval, group.group_id)
    return sorted(
        planned.values(), key=lambda entry: (entry.transaction_id, entry.approval_id)
    )


def _planned(approval: ApprovalRecord, group_id: str) -> PlannedWithdrawal:
    return PlannedWithdrawal(
        approval_id=approval.approval_id,
        transaction_id=approval.transaction_id,
        action=approval.action,
        group_id=group_id,
    )


async def withdraw_grouped_requests(
    session: AsyncSession,
    *,
    definition: Definition,
    settings: MatcherSettings,
    now: datetime,
) -> list[ApprovalRecord]:
    """Withdraw the pending requests of `definition` whose item is in a live group.

    Return the withdrawn requests. The query starts from the pending requests,
    which are few and indexed by state, so a run of a million groups sends no ids.
    A request left pending by a run of an earlier matcher version is withdrawn by
    the next run of its reconciliation.
    """
    rows = (
        await session.execute(
            _pending_in_live_groups(definition).with_for_update(of=ApprovalRecord)
        )
    ).all()
    withdrawn: list[ApprovalRecord] = []
    for approval, group_id in rows:
        _withdraw(
            session,
            approval=approval,
            group_id=group_id,
            definition=definition,
            settings=settings,
            now=now,
        )
        withdrawn.append(approval)
    return withdrawn


def _withdraw(
    session: AsyncSession,
    *,
    approval: ApprovalRecord,
    group_id: str,
    definition: Definition,
    settings: MatcherSettings,
    now: datetime,
) -> None:
    approval.state = ApprovalState.WITHDRAWN.value
    approval.decided_by = RUN_ACTOR
    approval.decided_at = now
    approval.decision_note = f"the item was matched in group {group_id}"

    action = f"break.{approval.action}.withdrawn"
    record_audit(
        session,
        OutboxMessage,
        settings=settings,
        actor=RUN_ACTOR,
        action=action,
        resource_type="break",
        resource_id=approval.transaction_id,
        details={
            "reconciliation_id": definition.id,
            "approval_id": approval.approval_id,
            "requested_by": approval.requested_by,
            "reason": approval.reason,
            "group_id": group_id,
        },
    )

    # The reporting read model deletes the break row of a matched item, so the
    # message lists the break in `closed_break_ids`. An `updated_breaks` entry in
    # state closed would record a force-close there instead. The key is the
    # reconciliation id, as for the request's own message, so the read model
    # applies the withdrawal after the request.
    publish_changes(
        session,
        changes=MatchChanges(closed_break_ids=[approval.transaction_id]),
        settings=settings,
        key=definition.id,
        run_id=new_run_id(f"{action}:{approval.transaction_id}"),
        action=action,
        actor=RUN_ACTOR,
    )

    log.info(
        "matcher.approval.withdrawn",
        approval_id=approval.approval_id,
        transaction_id=approval.transaction_id,
        action=approval.action,
        group_id=group_id,
    )
