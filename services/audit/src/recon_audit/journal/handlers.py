"""Kafka handler that appends audit events to the journal."""

import structlog
from recon_common.events import Envelope
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.journal import service

log = structlog.get_logger(__name__)


async def handle_audit_event(session: AsyncSession, envelope: Envelope) -> None:
    """Append one audit event; the consumer commits it with the processed-event row."""
    entry = await service.append(session, envelope=envelope)
    log.info("audit.entry.appended", sequence=entry.sequence, action=entry.action)
