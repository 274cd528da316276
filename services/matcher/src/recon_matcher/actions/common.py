"""Lookups, audit events and publishing that every operator action shares."""

from collections.abc import Sequence

from recon_common.audit import record_audit
from recon_common.errors import Conflict, NotFound
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions.auth import Actor
from recon_matcher.changes import MatchChanges, new_run_id, publish_changes
from recon_matcher.definitions import Definition
from recon_matcher.models import (
    BreakRecord,
    MatchGroupRecord,
    OutboxMessage,
    TransactionRecord,
)
from recon_matcher.reconciliation import repository
from recon_matcher.reconciliation.groups import LIVE_GROUP_STATUSES
from recon_matcher.settings import MatcherSettings


class ReconciliationNotFound(NotFound):
    pass


class GroupNotFound(NotFound):
    pass


class BreakNotFound(NotFound):
    pass


class TransactionNotFound(NotFound):
    pass


class ApprovalNotFound(NotFound):
    pass


class StateConflict(Conflict):
    pass


def find_definition(
    definitions: Sequence[Definition], reconciliation_id: str
) -> Definition:
    """Return the definition `reconciliation_id`, or raise 404."""
    for definition in definitions:
        if definition.id == reconciliation_id:
            return definition
    raise ReconciliationNotFound(
        f"reconciliation {reconciliation_id!r} not found; list the configured "
        "ones with GET /api/v1/reconciliations on the reporting service, or see "
        "the definitions file"
    )


async def get_group(session: AsyncSession, group_id: str) -> MatchGroupRecord:
    """Return the live group `group_id` locked for update, or raise 404."""
    row = await session.scalar(
        select(MatchGroupRecord)
        .where(
            MatchGroupRecord.group_id == group_id,
            MatchGroupRecord.status.in_(LIVE_GROUP_STATUSES),
        )
        .with_for_update()
    )
    if row is None:
        raise group_not_found(group_id)
    return row


def group_not_found(group_id: str) -> GroupNotFound:
    """Return the 404 for a group that is not live."""
    return GroupNotFound(
        f"match group {group_id!r} not found; it may have been dissolved"
    )


async def get_break(session: AsyncSession, transaction_id: str) -> BreakRecord:
    """Return the break of `transaction_id` locked for update, or raise 404."""
    row = await session.scalar(
        select(BreakRecord)
        .where(BreakRecord.transaction_id == transaction_id)
        .with_for_update()
    )
    if row is None:
        raise BreakNotFound(f"no break for transaction {transaction_id!r}")
    return row


async def lock_transactions(
    session: AsyncSession, transaction_ids: Sequence[str]
) -> list[TransactionRecord]:
    """Return the transactions of `transaction_ids` locked, or raise 404."""
    rows = (
        await session.scalars(
            select(TransactionRecord)
            .where(TransactionRecord.transaction_id.in_(list(transaction_ids)))
            .order_by(TransactionRecord.transaction_id)
            .with_for_update()
        )
    ).all()
    missing = sorted(set(transaction_ids) - {row.transaction_id for row in rows})
    if missing:
        raise TransactionNotFound(f"transactions not found: {', '.join(missing)}")
    return list(rows)


async def finish_action(
    session: AsyncSession,
    *,
    settings: MatcherSettings,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str,
    details: dict[str, str],
    definition: Definition,
    changes: MatchChanges,
) -> None:
    """Queue the action's audit event and its `matches-produced` messages."""
    await session.flush()
    changes.summaries.append(
        await repository.reconciliation_summary(session, definition=definition)
    )
    record_audit(
        session,
        OutboxMessage,
        settings=settings,
        actor=actor.username,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        details={"role": actor.role, "reconciliation_id": definition.id, **details},
    )
    publish_changes(
        session,
        changes=changes,
        settings=settings,
        key=definition.id,
        run_id=new_run_id(f"{action}:{resource_id}"),
        action=action,
        actor=actor.username,
    )
