"""Tests for `ServiceRuntime` and the health routes, on Kafka and SQLite."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from recon_common.events import (
    TOPIC_AUDIT_EVENTS,
    TOPIC_FILE_LANDED,
    AuditEvent,
    Envelope,
)
from recon_common.kafka import topic_name
from recon_common.runtime import ServiceRuntime, attach_runtime, health_router
from sqlalchemy.ext.asyncio import AsyncSession

from tests.common.conftest import (
    OutboxMessage,
    ProcessedEvent,
    consume,
    create_schema,
    service_settings,
)

pytestmark = pytest.mark.kafka


async def _ignore(session: AsyncSession, envelope: Envelope) -> None:
    """Accept every event without writing anything."""


@pytest.fixture
async def runtime(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[ServiceRuntime]:
    """Return a started runtime with one consumer, on a fresh SQLite database."""
    database_url = f"sqlite+aiosqlite:///{tmp_path}/runtime.db"
    engine = await create_schema(database_url)
    await engine.dispose()
    settings = service_settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        database_url=database_url,
    )
    runtime = ServiceRuntime(
        settings=settings, outbox_model=OutboxMessage, processed_model=ProcessedEvent
    )
    runtime.add_consumer(topics=[TOPIC_FILE_LANDED], group_id="test", handler=_ignore)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def _client(runtime: ServiceRuntime) -> httpx.AsyncClient:
    app = FastAPI()
    attach_runtime(app, runtime)
    app.include_router(health_router(lambda: app.state.runtime))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://service.test"
    )


async def test_runtime_readiness_all_ok(runtime: ServiceRuntime) -> None:
    checks = await runtime.check_readiness()

    assert checks == {"database": "ok", "kafka": "ok"}


async def test_healthz_ok(runtime: ServiceRuntime) -> None:
    async with _client(runtime) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_ready(runtime: ServiceRuntime) -> None:
    async with _client(runtime) as client:
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_readyz_stopped_consumer_not_ready(runtime: ServiceRuntime) -> None:
    await runtime.consumers[0].stop()

    async with _client(runtime) as client:
        response = await client.get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert body["checks"]["kafka"] == "RuntimeError: a consumer loop has stopped"


async def test_readyz_failing_extra_check_not_ready(runtime: ServiceRuntime) -> None:
    async def keyvault() -> None:
        raise ConnectionError("key broker at 127.0.0.1:9 refused the connection")

    runtime.add_readiness_check("keyvault", keyvault)

    async with _client(runtime) as client:
        response = await client.get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["keyvault"].startswith("ConnectionError: key broker")
    assert body["checks"]["database"] == "ok"


async def test_runtime_publishes_dead_letter_audit(runtime: ServiceRuntime) -> None:
    source = topic_name(runtime.settings, TOPIC_FILE_LANDED)
    await runtime.producer.send_and_wait(source, value=b"not an envelope")

    records = await consume(
        runtime.settings.kafka_bootstrap_servers,
        topic_name(runtime.settings, TOPIC_AUDIT_EVENTS),
        count=1,
        timeout_s=30.0,
    )

    audit: AuditEvent = Envelope.model_validate_json(records[0].value).payload(
        AuditEvent
    )
    assert audit.action == "event.dead_lettered"
    assert audit.details["topic"] == source
