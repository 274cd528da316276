"""Audit events of the reporting service, written to the outbox.

`record` adds the event to the caller's transaction, so it is published only if that
transaction commits. `record_committed` opens its own transaction, for events that
must survive a request that fails, such as a rejected login.
"""

from datetime import UTC, datetime

from recon_common.db import session_scope
from recon_common.events import TOPIC_AUDIT_EVENTS, AuditEvent, AuditOutcome
from recon_common.outbox import enqueue
from recon_common.runtime import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import OutboxMessage
from recon_reporting.settings import ReportingSettings

# Audit actor and resource ids are String(200) in the audit journal.
_MAX_ID_LENGTH = 200


def build_event(
    *,
    actor: str,
    action: str,
    outcome: AuditOutcome,
    resource_type: str,
    resource_id: str,
    details: dict[str, str] | None = None,
) -> AuditEvent:
    """Return an audit event stamped with the current time."""
    return AuditEvent(
        actor=actor[:_MAX_ID_LENGTH],
        action=action,
        outcome=outcome,
        resource_type=resource_type,
        resource_id=resource_id[:_MAX_ID_LENGTH],
        details=details or {},
        occurred_at=datetime.now(UTC),
    )


def record(
    session: AsyncSession, *, settings: ReportingSettings, event: AuditEvent
) -> None:
    """Add `event` to the outbox in the session's open transaction."""
    enqueue(
        session,
        OutboxMessage,
        settings=settings,
        topic=TOPIC_AUDIT_EVENTS,
        payload=event,
        key=event.actor,
    )


async def record_committed(
    runtime: ServiceRuntime, *, settings: ReportingSettings, event: AuditEvent
) -> None:
    """Write `event` to the outbox in a transaction of its own and commit it."""
    async with session_scope(runtime.sessions) as session:
        record(session, settings=settings, event=event)
    runtime.relay.notify()


def record_sensitive_read(
    session: AsyncSession,
    *,
    settings: ReportingSettings,
    actor: str,
    resource_type: str,
    resource: str,
    revealed: dict[str, set[str]],
    client_address: str | None,
) -> None:
    """Audit one response that showed sensitive fields in full, if it did.

    `resource` is the path and query that were read; the ids of the records shown
    and the unredacted fields go into the details.
    """
    if not revealed:
        return
    fields = sorted({field for names in revealed.values() for field in names})
    event = build_event(
        actor=actor,
        action="sensitive.read",
        outcome=AuditOutcome.SUCCESS,
        resource_type=resource_type,
        resource_id=resource,
        details={
            "record_ids": ",".join(sorted(revealed)),
            "record_count": str(len(revealed)),
            "fields": ",".join(fields),
            "client_address": client_address or "",
        },
    )
    record(session, settings=settings, event=event)
