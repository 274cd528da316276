"""Kafka handler that appends audit events to the journal and evaluates alarms."""

import structlog
from recon_common.consumer import Handler
from recon_common.events import Envelope
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.alarms.rules import AlarmConfig
from recon_audit.alarms.service import evaluate_entry
from recon_audit.journal import service

log = structlog.get_logger(__name__)


def build_audit_event_handler(config: AlarmConfig) -> Handler:
    """Return the consumer handler that journals an event and applies `config`."""

    async def handle_audit_event(session: AsyncSession, envelope: Envelope) -> None:
        # The consumer commits the entry, its alarms and the processed-event row in
        # one transaction.
        entry = await service.append(session, envelope=envelope)
        log.info("audit.entry.appended", sequence=entry.sequence, action=entry.action)
        await evaluate_entry(session, config=config, entry=entry)

    return handle_audit_event
