"""Emitting audit events from any service through its outbox."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from recon_common.db.plumbing import OutboxMessageMixin
from recon_common.events import TOPIC_AUDIT_EVENTS, AuditEvent, AuditOutcome
from recon_common.outbox import enqueue
from recon_common.settings import ServiceSettings


def record_audit(
    session: AsyncSession,
    outbox_model: type[OutboxMessageMixin],
    *,
    settings: ServiceSettings,
    actor: str,
    action: str,
    resource_type: str,
    resource_id: str,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    details: dict[str, str] | None = None,
) -> uuid.UUID:
    """Add an audit event to the outbox in the session's transaction, return its id."""
    event = AuditEvent(
        actor=actor,
        action=action,
        outcome=outcome,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details or {},
        occurred_at=datetime.now(UTC),
    )
    return enqueue(
        session,
        outbox_model,
        settings=settings,
        topic=TOPIC_AUDIT_EVENTS,
        payload=event,
        key=resource_id,
    )
