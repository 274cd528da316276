"""Tests for the transactional outbox and its relay, on a real Kafka broker.

Each test runs on SQLite and on PostgreSQL. Topics have one partition so that the
order on the broker is the order of publication.
"""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry import context as otel_context
from opentelemetry import trace
from recon_common.db.engine import create_sessionmaker, session_scope
from recon_common.events import (
    TOPIC_AUDIT_EVENTS,
    AuditEvent,
    AuditOutcome,
    Envelope,
)
from recon_common.kafka import create_producer, ensure_topics, topic_name
from recon_common.outbox import OutboxRelay, enqueue
from recon_common.settings import ServiceSettings
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.common.conftest import (
    OutboxMessage,
    consume,
    create_schema,
    service_settings,
    wait_until,
)

pytestmark = pytest.mark.kafka

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7
TRACEPARENT = f"00-{TRACE_ID:032x}-{SPAN_ID:016x}-01"


@dataclass
class Outbox:
    settings: ServiceSettings
    sessions: async_sessionmaker[AsyncSession]
    producer: AIOKafkaProducer
    relay: OutboxRelay
    topic: str


@pytest.fixture
async def outbox(
    kafka_bootstrap: str, topic_prefix: str, database_url: str
) -> AsyncIterator[Outbox]:
    """Return a relay with its producer, on a fresh schema and fresh topics."""
    settings = service_settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        database_url=database_url,
    )
    engine = await create_schema(database_url)
    await ensure_topics(settings, [TOPIC_AUDIT_EVENTS], partitions=1)
    producer = create_producer(settings)
    await producer.start()
    sessions = create_sessionmaker(engine)
    relay = OutboxRelay(
        sessions=sessions,
        model=OutboxMessage,
        producer=producer,
        settings=settings,
        poll_interval_s=0.05,
    )
    try:
        yield Outbox(
            settings=settings,
            sessions=sessions,
            producer=producer,
            relay=relay,
            topic=topic_name(settings, TOPIC_AUDIT_EVENTS),
        )
    finally:
        await relay.stop()
        await producer.stop()
        await engine.dispose()


def _audit(resource_id: str) -> AuditEvent:
    return AuditEvent(
        actor="alice",
        action="file.read",
        outcome=AuditOutcome.SUCCESS,
        resource_type="file",
        resource_id=resource_id,
        occurred_at=datetime.now(UTC),
    )


async def _enqueue(
    outbox: Outbox, session: AsyncSession, resource_id: str
) -> uuid.UUID:
    return enqueue(
        session,
        OutboxMessage,
        settings=outbox.settings,
        topic=TOPIC_AUDIT_EVENTS,
        payload=_audit(resource_id),
        key=resource_id,
    )


async def _rows(outbox: Outbox) -> list[OutboxMessage]:
    async with outbox.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.position)
        )
        return list(rows)


async def test_enqueue_rolled_back_publishes_nothing(outbox: Outbox) -> None:
    with pytest.raises(RuntimeError, match="business rule failed"):
        async with session_scope(outbox.sessions) as session:
            await _enqueue(outbox, session, "file-1")
            raise RuntimeError("business rule failed")

    sent = await outbox.relay.publish_pending()

    records = await consume(
        outbox.settings.kafka_bootstrap_servers, outbox.topic, count=1, timeout_s=2.0
    )
    assert sent == 0
    assert await _rows(outbox) == []
    assert records == []


async def test_relay_publishes_committed_rows_in_order(outbox: Outbox) -> None:
    event_ids = []
    async with session_scope(outbox.sessions) as session:
        event_ids.append(await _enqueue(outbox, session, "file-1"))
        event_ids.append(await _enqueue(outbox, session, "file-2"))
    async with session_scope(outbox.sessions) as session:
        event_ids.append(await _enqueue(outbox, session, "file-3"))

    sent = await outbox.relay.publish_pending()

    records = await consume(
        outbox.settings.kafka_bootstrap_servers, outbox.topic, count=3
    )
    received = [Envelope.model_validate_json(record.value) for record in records]
    assert sent == 3
    assert [envelope.id for envelope in received] == event_ids
    assert [record.key for record in records] == [b"file-1", b"file-2", b"file-3"]
    assert received[0].payload(AuditEvent).resource_id == "file-1"
    assert received[0].bank_id == outbox.settings.bank_id
    assert received[0].source == outbox.settings.service_name


async def test_relay_marks_rows_published(outbox: Outbox) -> None:
    async with session_scope(outbox.sessions) as session:
        await _enqueue(outbox, session, "file-1")
        await _enqueue(outbox, session, "file-2")

    await outbox.relay.publish_pending()
    sent_again = await outbox.relay.publish_pending()

    rows = await _rows(outbox)
    assert sent_again == 0
    assert all(row.published_at is not None for row in rows)
    assert outbox.relay.published == 2


async def test_relay_sends_traceparent_header(outbox: Outbox) -> None:
    span_context = trace.SpanContext(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    token = otel_context.attach(
        trace.set_span_in_context(trace.NonRecordingSpan(span_context))
    )
    try:
        async with session_scope(outbox.sessions) as session:
            await _enqueue(outbox, session, "file-1")
    finally:
        otel_context.detach(token)

    await outbox.relay.publish_pending()

    records = await consume(
        outbox.settings.kafka_bootstrap_servers, outbox.topic, count=1
    )
    headers = dict(records[0].headers)
    assert headers["traceparent"] == TRACEPARENT.encode()


async def test_relay_without_trace_sends_no_traceparent(outbox: Outbox) -> None:
    async with session_scope(outbox.sessions) as session:
        await _enqueue(outbox, session, "file-1")

    await outbox.relay.publish_pending()

    records = await consume(
        outbox.settings.kafka_bootstrap_servers, outbox.topic, count=1
    )
    assert "traceparent" not in dict(records[0].headers)


async def test_relay_resend_after_unmarked_send_keeps_id(outbox: Outbox) -> None:
    async with session_scope(outbox.sessions) as session:
        event_id = await _enqueue(outbox, session, "file-1")
    await outbox.relay.publish_pending()
    # The process died after the send and before the mark: the row looks unpublished.
    async with session_scope(outbox.sessions) as session:
        await session.execute(update(OutboxMessage).values(published_at=None))

    sent = await outbox.relay.publish_pending()

    records = await consume(
        outbox.settings.kafka_bootstrap_servers, outbox.topic, count=2
    )
    ids = [json.loads(record.value)["id"] for record in records]
    assert sent == 1
    assert ids == [str(event_id), str(event_id)]
    assert records[0].value == records[1].value


async def test_relay_background_loop_publishes_on_notify(outbox: Outbox) -> None:
    outbox.relay.start()
    async with session_scope(outbox.sessions) as session:
        event_id = await _enqueue(outbox, session, "file-1")

    outbox.relay.notify()

    async def published() -> bool:
        async with outbox.sessions() as session:
            pending = await session.scalar(
                select(func.count()).where(OutboxMessage.published_at.is_(None))
            )
        return pending == 0

    await wait_until(published)
    records = await consume(
        outbox.settings.kafka_bootstrap_servers, outbox.topic, count=1
    )
    assert json.loads(records[0].value)["id"] == str(event_id)


async def test_relay_stop_publishes_pending(outbox: Outbox) -> None:
    async with session_scope(outbox.sessions) as session:
        await _enqueue(outbox, session, "file-1")
    outbox.relay.start()

    await outbox.relay.stop()

    rows = await _rows(outbox)
    assert rows[0].published_at is not None
