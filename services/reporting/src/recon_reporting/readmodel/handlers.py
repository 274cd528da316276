"""Kafka handler that applies `matches-produced` chunks to the read model."""

import structlog
from recon_common.consumer import RejectedEvent
from recon_common.events import TOPIC_MATCHES_PRODUCED, Envelope, MatchesProduced
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.readmodel import service

log = structlog.get_logger(__name__)


async def handle_matches_produced(session: AsyncSession, envelope: Envelope) -> None:
    """Apply one chunk in the consumer's session, which the consumer commits."""
    if envelope.type != TOPIC_MATCHES_PRODUCED:
        raise RejectedEvent(
            f"event type {envelope.type!r} reached the {TOPIC_MATCHES_PRODUCED} "
            "handler of the reporting service"
        )
    payload: MatchesProduced = envelope.payload(MatchesProduced)
    applied = await service.apply_chunk(
        session, payload=payload, reported_at=envelope.time
    )
    log.info(
        "reporting.chunk.applied",
        run_id=payload.run_id,
        chunk_index=payload.chunk_index,
        chunk_count=payload.chunk_count,
        files=applied.files,
        transactions=applied.transactions,
        groups=applied.groups,
        opened_breaks=applied.opened_breaks,
        closed_breaks=applied.closed_breaks,
    )
