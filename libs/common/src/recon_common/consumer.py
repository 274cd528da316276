"""Kafka consumer loop with the platform's delivery rules.

Delivery is at least once. For each message, in partition order:

1. The envelope is decoded and its `bank_id` checked. A message that is not a valid
   envelope, or belongs to another bank, goes to the dead-letter topic.
2. In one database transaction the handler applies the event and the event id is
   recorded in `processed_events`. An id that is already there means a redelivery,
   and the handler is skipped.
3. The transaction commits, and only then is the offset committed to Kafka.

A crash between 3's two commits redelivers the message, and step 2 drops it. A handler
that keeps failing is retried with backoff. After the last attempt the message goes to
`<topic>.dlq` with the error in its headers, an audit event records it, and its offset
is committed so the partition moves on. A rebalance can revoke a partition while one of
its messages is being handled. That offset commit then fails and is logged, and the
rest of the fetched batch of that partition is skipped. The new owner receives the
message again from the last committed offset, and step 2 drops it.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_common.db.engine import session_scope
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from recon_common.events import (
    DEAD_LETTER_SUFFIX,
    TOPIC_AUDIT_EVENTS,
    AuditEvent,
    AuditOutcome,
    Envelope,
)
from recon_common.kafka import carrier_from_headers, client_options, topic_name
from recon_common.outbox import OutboxRelay, enqueue
from recon_common.settings import ServiceSettings

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


class RejectedEvent(Exception):
    """An event that can never be applied; it goes straight to the dead-letter topic."""


class EventConsumer:
    """Consume topics and apply each event once, skipping redelivered events."""

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        topics: list[str],
        group_id: str,
        sessions: async_sessionmaker[AsyncSession],
        processed_model: type[ProcessedEventMixin],
        outbox_model: type[OutboxMessageMixin],
        producer: AIOKafkaProducer,
        relay: OutboxRelay,
        handler: Handler,
        max_attempts: int = 4,
        retry_backoff_s: float = 0.5,
    ) -> None:
        self._settings = settings
        self._topics = topics
        self._group_id = f"{settings.kafka_topic_prefix}{group_id}"
        self._sessions = sessions
        self._processed = processed_model
        self._outbox = outbox_model
        self._producer = producer
        self._relay = relay
        self._handler = handler
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.processed = 0
        self.dead_lettered = 0
        self.last_error: str | None = None

    async def start(self) -> None:
        """Connect, join the group and start consuming in a background task."""
        self._consumer = AIOKafkaConsumer(
            *(topic_name(self._settings, topic) for topic in self._topics),
            **client_options(self._settings),
            group_id=self._group_id,
            client_id=f"{self._settings.service_name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=50,
            # A chunk can take seconds to apply on SQLite; keep the member in the group.
            max_poll_interval_ms=600_000,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self._group_id}")
        log.info("consumer.started", group=self._group_id, topics=self._topics)

    async def stop(self) -> None:
        """Stop consuming; offsets of applied events are already committed."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._consumer is not None:
            await self._consumer.stop()
        log.info("consumer.stopped", group=self._group_id, processed=self.processed)

    @property
    def running(self) -> bool:
        """Return whether the consume loop is alive."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        assert self._consumer is not None  # noqa: S101 - set by start()
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            for partition, records in batches.items():
                for record in records:
                    if partition not in self._consumer.assignment():
                        break
                    await self._process(record)
                    await self._commit(partition, record.offset + 1)

    async def _commit(self, partition: TopicPartition, offset: int) -> None:
        assert self._consumer is not None  # noqa: S101 - set by start()
        try:
            await self._consumer.commit({partition: offset})
        except KafkaError as exc:
            # The database already contains the event, so its redelivery is dropped.
            # Ending the loop here would stop consumption for good after one rebalance.
            log.warning(
                "consumer.commit.failed",
                topic=partition.topic,
                partition=partition.partition,
                offset=offset,
                error=f"{type(exc).__name__}: {exc}",
            )

    async def _process(self, record: ConsumerRecord[Any, Any]) -> None:
        parent = propagate.extract(carrier_from_headers(record.headers))
        token = otel_context.attach(parent)
        try:
            tracer = trace.get_tracer(__name__)
            with tracer.start_as_current_span(f"{record.topic} process"):
                await self._process_in_span(record)
        finally:
            otel_context.detach(token)

    async def _process_in_span(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            envelope = self._decode(record)
        except RejectedEvent as exc:
            await self._dead_letter(record, error=str(exc), event_id=None)
            return

        structlog.contextvars.bind_contextvars(event_id=str(envelope.id))
        try:
            for attempt in range(1, self._max_attempts + 1):
                try:
                    await self._apply(envelope)
                    self.processed += 1
                    return
                except RejectedEvent as exc:
                    await self._dead_letter(
                        record, error=str(exc), event_id=envelope.id
                    )
                    return
                except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "consumer.event.failed",
                        topic=record.topic,
                        offset=record.offset,
                        attempt=attempt,
                        error=self.last_error,
                    )
                    if attempt == self._max_attempts:
                        await self._dead_letter(
                            record, error=self.last_error, event_id=envelope.id
                        )
                        return
                    await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))
        finally:
            structlog.contextvars.unbind_contextvars("event_id")

    def _decode(self, record: ConsumerRecord[Any, Any]) -> Envelope:
        try:
            envelope = Envelope.model_validate_json(record.value)
        except ValidationError as exc:
            raise RejectedEvent(
                f"invalid event envelope: {exc.errors()[0]['msg']}"
            ) from exc
        if envelope.bank_id != self._settings.bank_id:
            raise RejectedEvent(
                f"event for bank {envelope.bank_id!r} reached the deployment of bank "
                f"{self._settings.bank_id!r}"
            )
        return envelope

    async def _apply(self, envelope: Envelope) -> None:
        processed = self._processed
        async with session_scope(self._sessions) as session:
            seen = await session.scalar(
                select(processed.event_id).where(
                    processed.event_id == str(envelope.id),
                    processed.consumer_group == self._group_id,
                )
            )
            if seen is not None:
                log.info("consumer.event.duplicate", event_type=envelope.type)
                return
            await self._handler(session, envelope)
            session.add(
                processed(
                    event_id=str(envelope.id),
                    consumer_group=self._group_id,
                    topic=envelope.type,
                    processed_at=datetime.now(UTC),
                )
            )
        self._relay.notify()

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], *, error: str, event_id: Any
    ) -> None:
        dead_letter_topic = f"{record.topic}{DEAD_LETTER_SUFFIX}"
        headers = list(record.headers or ())
        headers += [
            ("dlq-error", error.encode()),
            ("dlq-original-topic", record.topic.encode()),
            ("dlq-original-partition", str(record.partition).encode()),
            ("dlq-original-offset", str(record.offset).encode()),
        ]
        await self._producer.send_and_wait(
            dead_letter_topic, value=record.value, key=record.key, headers=headers
        )
        self.dead_lettered += 1
        log.error(
            "consumer.event.dead_lettered",
            topic=record.topic,
            offset=record.offset,
            dead_letter_topic=dead_letter_topic,
            error=error,
        )
        audit = AuditEvent(
            actor=self._settings.service_name,
            action="event.dead_lettered",
            outcome=AuditOutcome.FAILURE,
            resource_type="kafka_message",
            resource_id=str(event_id)
            if event_id
            else f"{record.topic}/{record.offset}",
            details={"topic": record.topic, "error": error[:1000]},
            occurred_at=datetime.now(UTC),
        )
        async with session_scope(self._sessions) as session:
            enqueue(
                session,
                self._outbox,
                settings=self._settings,
                topic=TOPIC_AUDIT_EVENTS,
                payload=audit,
            )
        self._relay.notify()
