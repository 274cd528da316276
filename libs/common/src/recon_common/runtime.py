"""The clients every service runs: database, Kafka producer, outbox relay, consumers.

A service builds one `ServiceRuntime` in its FastAPI lifespan, registers its
consumers, and starts it. Nothing connects at import time.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from recon_common.consumer import EventConsumer, Handler
from recon_common.db.engine import create_engine, create_sessionmaker
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from recon_common.kafka import create_producer, ensure_topics, topic_name
from recon_common.outbox import OutboxRelay
from recon_common.settings import ServiceSettings

log = structlog.get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[None]]

ALL_TOPICS = ["file-landed", "transactions-parsed", "matches-produced", "audit-events"]


class ServiceRuntime:
    """The clients a service owns, started and stopped together."""

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        outbox_model: type[OutboxMessageMixin],
        processed_model: type[ProcessedEventMixin],
        create_topics: bool = True,
    ) -> None:
        self.settings = settings
        self.engine: AsyncEngine = create_engine(
            settings.database_url.get_secret_value(),
            pool_size=settings.database_pool_size,
        )
        self.sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(
            self.engine
        )
        self.producer: AIOKafkaProducer = create_producer(settings)
        self.relay = OutboxRelay(
            sessions=self.sessions,
            model=outbox_model,
            producer=self.producer,
            settings=settings,
        )
        self._outbox_model = outbox_model
        self._processed_model = processed_model
        self._create_topics = create_topics
        self.consumers: list[EventConsumer] = []
        self._readiness_checks: dict[str, ReadinessCheck] = {}

    def add_consumer(
        self, *, topics: list[str], group_id: str, handler: Handler
    ) -> None:
        """Register a consumer group that applies `handler` to each event."""
        self.consumers.append(
            EventConsumer(
                settings=self.settings,
                topics=topics,
                group_id=group_id,
                sessions=self.sessions,
                processed_model=self._processed_model,
                outbox_model=self._outbox_model,
                producer=self.producer,
                relay=self.relay,
                handler=handler,
            )
        )

    def add_readiness_check(self, name: str, check: ReadinessCheck) -> None:
        """Register a dependency that `/readyz` must reach."""
        self._readiness_checks[name] = check

    async def start(self) -> None:
        """Connect to Kafka, start the outbox relay and every consumer."""
        if self._create_topics:
            await ensure_topics(self.settings, ALL_TOPICS)
        await self.producer.start()
        self.relay.start()
        for consumer in self.consumers:
            await consumer.start()
        log.info("service.started", bank_id=self.settings.bank_id)

    async def stop(self) -> None:
        """Stop consumers first, then flush the outbox, then close the clients."""
        for consumer in self.consumers:
            await consumer.stop()
        await self.relay.stop()
        await self.producer.stop()
        await self.engine.dispose()
        log.info("service.stopped")

    async def check_readiness(self) -> dict[str, str]:
        """Return the state of every dependency: `ok` or the error."""
        results: dict[str, str] = {}
        checks: dict[str, ReadinessCheck] = {
            "database": self._check_database,
            "kafka": self._check_kafka,
            **self._readiness_checks,
        }
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=3.0)
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                results[name] = f"{type(exc).__name__}: {exc}"[:300]
        return results

    async def _check_database(self) -> None:
        query = (
            "SELECT 1 FROM dual" if self.engine.dialect.name == "oracle" else "SELECT 1"
        )
        async with self.engine.connect() as connection:
            await connection.execute(text(query))

    async def _check_kafka(self) -> None:
        topic = topic_name(self.settings, "audit-events")
        partitions = await self.producer.partitions_for(topic)
        if not partitions:
            raise RuntimeError(f"topic {topic} has no partitions")
        for consumer in self.consumers:
            if not consumer.running:
                raise RuntimeError("a consumer loop has stopped")


def health_router(runtime_getter: Callable[[], ServiceRuntime]) -> APIRouter:
    """Return the `/healthz` and `/readyz` routes for a service."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Report that the process is alive."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(response: Response) -> dict[str, Any]:
        """Report whether the database, Kafka and other dependencies respond."""
        checks = await runtime_getter().check_readiness()
        ready = all(state == "ok" for state in checks.values())
        response.status_code = 200 if ready else 503
        return {"status": "ready" if ready else "not ready", "checks": checks}

    return router


@asynccontextmanager
async def running(runtime: ServiceRuntime) -> AsyncIterator[ServiceRuntime]:
    """Start `runtime` and stop it when the block ends."""
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def attach_runtime(app: FastAPI, runtime: ServiceRuntime) -> None:
    """Store the runtime on the app so that dependencies can reach it."""
    app.state.runtime = runtime
