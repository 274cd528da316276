"""Audit events of the key broker reach the `audit-events` topic of a real broker."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from recon_common.events import AuditEvent, Envelope
from recon_keyvault.app import create_app

from recon_platform.infra.kafka import KafkaBroker
from tests.keyvault.conftest import (
    BANK_ID,
    BASE_URL,
    auth_headers,
    make_settings,
    migrate,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture(scope="module")
async def kafka(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[KafkaBroker]:
    """Run a single-node Kafka broker on 127.0.0.1 for this module."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    await asyncio.to_thread(broker.start)
    yield broker
    await asyncio.to_thread(broker.stop)


async def _read_audit_events(
    bootstrap_servers: str, topic: str, count: int
) -> list[AuditEvent]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"keyvault-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    events: list[AuditEvent] = []
    try:
        async with asyncio.timeout(60):
            while len(events) < count:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    events += [
                        Envelope.model_validate_json(record.value).payload(AuditEvent)
                        for record in records
                    ]
    finally:
        await consumer.stop()
    return events


async def test_key_change_published_to_audit_topic(
    kafka: KafkaBroker, tmp_path: Path
) -> None:
    prefix = f"kv-{uuid.uuid4().hex[:8]}."
    settings = make_settings(
        tmp_path,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_topic_prefix=prefix,
    )
    await migrate(settings)
    app = create_app(settings)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, headers=auth_headers("ingest")
        ) as client:
            created = await client.post(
                f"/v1/banks/{BANK_ID}/keys", json={"alias": "primary"}
            )
            key_id = created.json()["key_id"]
            await client.post(f"/v1/banks/{BANK_ID}/keys/{key_id}/disable")
            ready = await client.get("/readyz")

    events = await _read_audit_events(
        kafka.bootstrap_servers, f"{prefix}audit-events", 2
    )
    assert ready.status_code == 200
    assert [event.action for event in events] == ["key.created", "key.disabled"]
    assert {event.resource_id for event in events} == {key_id}
