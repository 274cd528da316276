"""A harness for `EventConsumer` tests: settings, schema, topics and producer.

The handler writes one `applied_events` row per call that commits, so counting rows
shows how often an event was applied.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from recon_common.consumer import EventConsumer, Handler
from recon_common.db.engine import create_sessionmaker
from recon_common.events import (
    TOPIC_AUDIT_EVENTS,
    TOPIC_FILE_LANDED,
    AuditEvent,
    Envelope,
    FileLanded,
    FileRef,
    FileStatus,
)
from recon_common.kafka import create_producer, ensure_topics, topic_name
from recon_common.outbox import OutboxRelay
from recon_common.settings import ServiceSettings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.common.conftest import (
    BANK_ID,
    AppliedEvent,
    OutboxMessage,
    ProcessedEvent,
    create_schema,
    service_settings,
    wait_until,
)

GROUP = "matcher"
MAX_ATTEMPTS = 3


@dataclass
class Harness:
    """Clients of one test: settings, database, producer and the consumers started."""

    settings: ServiceSettings
    sessions: async_sessionmaker[AsyncSession]
    producer: AIOKafkaProducer
    relay: OutboxRelay
    topic: str
    consumers: list[EventConsumer] = field(default_factory=list)

    @property
    def group_id(self) -> str:
        return f"{self.settings.kafka_topic_prefix}{GROUP}"

    async def start_consumer(
        self, handler: Handler, *, retry_backoff_s: float = 0.01
    ) -> EventConsumer:
        """Start a consumer of the file-landed topic in the test's group."""
        consumer = EventConsumer(
            settings=self.settings,
            topics=[TOPIC_FILE_LANDED],
            group_id=GROUP,
            sessions=self.sessions,
            processed_model=ProcessedEvent,
            outbox_model=OutboxMessage,
            producer=self.producer,
            relay=self.relay,
            handler=handler,
            max_attempts=MAX_ATTEMPTS,
            retry_backoff_s=retry_backoff_s,
        )
        await consumer.start()
        self.consumers.append(consumer)
        return consumer

    async def produce(self, value: bytes) -> None:
        """Send raw bytes to the file-landed topic."""
        await self.producer.send_and_wait(self.topic, value=value)

    async def committed_offset(self) -> int | None:
        """Return the group's committed offset of partition 0, or None."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap_servers
        )
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.group_id)
        finally:
            await admin.close()
        committed = offsets.get(TopicPartition(self.topic, 0))
        if committed is None or committed.offset < 0:
            return None
        offset: int = committed.offset
        return offset

    async def wait_committed(self, offset: int) -> None:
        """Wait until the group has committed `offset` on partition 0."""

        async def reached() -> bool:
            return await self.committed_offset() == offset

        await wait_until(reached)

    async def count(self, model: type[object], event_id: str | None = None) -> int:
        """Return the number of rows of `model`, for one event id if given."""
        query = select(func.count()).select_from(model)
        if event_id is not None:
            query = query.where(model.event_id == event_id)  # type: ignore[attr-defined]
        async with self.sessions() as session:
            result = await session.scalar(query)
        return int(result or 0)

    async def outbox_audit_events(self) -> list[AuditEvent]:
        """Return the audit events in the outbox, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic == TOPIC_AUDIT_EVENTS)
                .order_by(OutboxMessage.position)
            )
            bodies = [row.body for row in rows]
        return [
            Envelope.model_validate_json(body).payload(AuditEvent) for body in bodies
        ]


@asynccontextmanager
async def open_harness(
    *, kafka_bootstrap: str, topic_prefix: str, database_url: str, partitions: int = 1
) -> AsyncIterator[Harness]:
    """Yield the clients of one test, and stop every consumer afterwards."""
    settings = service_settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        database_url=database_url,
    )
    engine = await create_schema(database_url)
    await ensure_topics(settings, [TOPIC_FILE_LANDED], partitions=partitions)
    producer = create_producer(settings)
    await producer.start()
    sessions = create_sessionmaker(engine)
    relay = OutboxRelay(
        sessions=sessions, model=OutboxMessage, producer=producer, settings=settings
    )
    harness = Harness(
        settings=settings,
        sessions=sessions,
        producer=producer,
        relay=relay,
        topic=topic_name(settings, TOPIC_FILE_LANDED),
    )
    try:
        yield harness
    finally:
        for consumer in harness.consumers:
            await consumer.stop()
        await producer.stop()
        await engine.dispose()


def make_envelope(bank_id: str = BANK_ID, file_id: str = "file-1") -> Envelope:
    """Return a new file-landed envelope for `bank_id`."""
    payload = FileLanded(
        file=FileRef(
            file_id=file_id,
            filename=f"{file_id}.mt940",
            sha256="0" * 64,
            size_bytes=100,
            landed_at=datetime.now(UTC),
            status=FileStatus.LANDED,
        ),
        object_key=f"landed/{file_id}",
        uploaded_by="sftp-user",
    )
    return Envelope.wrap(
        topic=TOPIC_FILE_LANDED, source="ingest", bank_id=bank_id, payload=payload
    )


def encode(envelope: Envelope) -> bytes:
    """Return the bytes that a producer sends for `envelope`."""
    return envelope.model_dump_json().encode()


class RecordingHandler:
    """A handler that writes one `applied_events` row and counts its calls."""

    def __init__(
        self, before_insert: Callable[[Envelope], Awaitable[None]] | None = None
    ) -> None:
        self.calls: list[str] = []
        self._before_insert = before_insert

    async def __call__(self, session: AsyncSession, envelope: Envelope) -> None:
        self.calls.append(str(envelope.id))
        if self._before_insert is not None:
            await self._before_insert(envelope)
        session.add(
            AppliedEvent(event_id=str(envelope.id), applied_at=datetime.now(UTC))
        )
        await session.flush()


def record_headers(record: object) -> dict[str, bytes]:
    """Return the headers of a Kafka record as a dict."""
    return dict(record.headers)  # type: ignore[attr-defined]
