"""Lookups, claims, audit events and publishing that operator actions share."""

from collections.abc import Collection, Sequence
from typing import Any, cast

import structlog
from recon_common.audit import record_audit
from recon_common.errors import Conflict, NotFound
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
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

log = structlog.get_logger(__name__)


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


async def get_break_after_transaction(
    session: AsyncSession, transaction_id: str
) -> BreakRecord:
    """Return the break of `transaction_id` locked after its transaction, or raise 404.

    A manual match, an approval and a matching run lock or reference the
    transaction before they change its break. PostgreSQL takes a key-share lock on
    the transaction when a row that references it is inserted, such as a write-off
    request, and when one database transaction updates the break twice. Locking
    the break first could then deadlock with those actions.
    """
    await session.execute(
        select(TransactionRecord.transaction_id)
        .where(TransactionRecord.transaction_id == transaction_id)
        .with_for_update()
    )
    return await get_break(session, transaction_id)


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


def not_proposed(group_id: str, status: str) -> StateConflict:
    """Return the 409 for a review of a group that is not proposed."""
    return StateConflict(
        f"match group {group_id!r} is {status}, not proposed; only a proposed "
        "group can be confirmed or rejected"
    )


async def claim_group(
    session: AsyncSession, group_id: str, *, statuses: Collection[str]
) -> None:
    """Raise the 404 or 409 of a later request unless the group is in `statuses`.

    The UPDATE writes back the status that it finds, so it changes nothing, but
    it makes a second review, unmatch or comment of the same group wait for the
    first to commit and then see its result. PostgreSQL gets that from the caller's FOR
    UPDATE already. SQLite ignores FOR UPDATE, and there the UPDATE takes the
    database write lock, so the reads after it are current too.
    """
    result = await session.execute(
        update(MatchGroupRecord)
        .where(
            MatchGroupRecord.group_id == group_id,
            MatchGroupRecord.status.in_(sorted(statuses)),
        )
        .values(status=MatchGroupRecord.status)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount == 1:
        return
    status = await session.scalar(
        select(MatchGroupRecord.status).where(MatchGroupRecord.group_id == group_id)
    )
    log.info(
        "matcher.group.claim_conflict",
        group_id=group_id,
        status=status,
        expected=sorted(statuses),
    )
    if status is None or status not in LIVE_GROUP_STATUSES:
        raise group_not_found(group_id)
    raise not_proposed(group_id, status)
