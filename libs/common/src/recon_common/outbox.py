"""Transactional outbox: write events with the change, publish them after commit.

`enqueue` adds a row in the caller's open transaction. `OutboxRelay` runs as a
background task, publishes unpublished rows in order with `acks=all`, and then marks
them published. If the process dies after the send but before the mark, the row is
sent again on restart. Consumers drop the duplicate by its envelope id.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import structlog
from aiokafka import AIOKafkaProducer
from opentelemetry import propagate, trace
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_common.db.engine import session_scope
from recon_common.db.plumbing import OutboxMessageMixin
from recon_common.events import Contract, Envelope
from recon_common.kafka import topic_name
from recon_common.settings import ServiceSettings

log = structlog.get_logger(__name__)

_BATCH_SIZE = 200
# Published rows are kept this long for diagnosis, then deleted.
_RETENTION = timedelta(days=1)


def enqueue[M: OutboxMessageMixin](
    session: AsyncSession,
    model: type[M],
    *,
    settings: ServiceSettings,
    topic: str,
    payload: Contract,
    key: str | None = None,
) -> uuid.UUID:
    """Add an event for `topic` to the outbox in the session's transaction.

    Return the event's id, which its envelope carries.
    """
    event_id, body = Envelope.encode(
        topic=topic,
        source=settings.service_name,
        bank_id=settings.bank_id,
        payload=payload,
    )
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    session.add(
        model(
            event_id=str(event_id),
            topic=topic,
            message_key=key,
            body=body,
            trace_parent=carrier.get("traceparent"),
            created_at=datetime.now(UTC),
        )
    )
    return event_id


class OutboxRelay:
    """Publish outbox rows to Kafka, in order, after their transaction committed."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        model: type[OutboxMessageMixin],
        producer: AIOKafkaProducer,
        settings: ServiceSettings,
        poll_interval_s: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._model = model
        self._producer = producer
        self._settings = settings
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    def notify(self) -> None:
        """Wake the relay now instead of at its next poll."""
        self._wake.set()

    def start(self) -> None:
        """Start the relay loop as a background task."""
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Publish what is pending, then stop the loop."""
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None
        await self.publish_pending()

    async def _run(self) -> None:
        last_cleanup = datetime.now(UTC)
        while True:
            try:
                while await self.publish_pending() == _BATCH_SIZE:
                    pass
                if datetime.now(UTC) - last_cleanup > timedelta(minutes=10):
                    await self._delete_old_rows()
                    last_cleanup = datetime.now(UTC)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must outlive broker outages
                log.warning("outbox.publish.failed", error=str(exc))
                await asyncio.sleep(2.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows and return how many were sent."""
        model = self._model
        async with session_scope(self._sessions) as session:
            rows = (
                await session.scalars(
                    select(model)
                    .where(model.published_at.is_(None))
                    .order_by(model.position)
                    .limit(_BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            tracer = trace.get_tracer(__name__)
            for row in rows:
                headers = []
                if row.trace_parent:
                    headers.append(("traceparent", row.trace_parent.encode()))
                with tracer.start_as_current_span(f"{row.topic} publish"):
                    await self._producer.send_and_wait(
                        topic_name(self._settings, row.topic),
                        value=row.body.encode(),
                        key=row.message_key.encode() if row.message_key else None,
                        headers=headers,
                    )
                row.published_at = datetime.now(UTC)
        self.published += len(rows)
        if rows:
            log.debug("outbox.published", count=len(rows))
        return len(rows)

    async def _delete_old_rows(self) -> None:
        model = self._model
        cutoff = datetime.now(UTC) - _RETENTION
        async with session_scope(self._sessions) as session:
            await session.execute(delete(model).where(model.published_at < cutoff))


def new_event_id() -> str:
    """Return a fresh event id."""
    return str(uuid.uuid4())
