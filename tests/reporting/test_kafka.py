"""End-to-end test with a real Kafka broker: consume chunks, publish audit events."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped]
from fastapi import FastAPI
from recon_common.events import TOPIC_AUDIT_EVENTS, TOPIC_MATCHES_PRODUCED
from recon_common.kafka import topic_name
from recon_reporting.app import create_app
from recon_reporting.settings import ReportingSettings

from recon_platform.infra.kafka import KafkaBroker
from tests.reporting.conftest import basic, login, make_client
from tests.reporting.factory import build_day, envelope

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture(scope="module")
async def kafka_broker(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    await asyncio.to_thread(broker.start)
    yield broker
    await asyncio.to_thread(broker.stop)


@pytest.fixture
async def kafka_app(
    settings: ReportingSettings, kafka_broker: KafkaBroker
) -> AsyncIterator[FastAPI]:
    configured = settings.model_copy(
        update={"kafka_bootstrap_servers": kafka_broker.bootstrap_servers}
    )
    application = create_app(configured, start_kafka=True)
    async with application.router.lifespan_context(application):
        yield application


async def publish(settings: ReportingSettings, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all"
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(
                topic_name(settings, TOPIC_MATCHES_PRODUCED), value
            )
    finally:
        await producer.stop()


async def test_kafka_chunks_consumed_and_audit_published(kafka_app: FastAPI) -> None:
    settings: ReportingSettings = kafka_app.state.settings
    day = build_day(statements=8, matched_pairs=5)
    first = envelope(day.payload)
    resent = envelope(day.payload)
    values = [first.model_dump_json().encode()] * 2 + [
        resent.model_dump_json().encode()
    ]

    await publish(settings, values)
    async with make_client(kafka_app) as http:
        async with asyncio.timeout(60):
            while True:
                response = await http.get("/api/v1/summary", auth=basic("vera"))
                if response.json()["transactions"] == day.transactions:
                    break
                await asyncio.sleep(0.2)
        await login(http, "otto")
        consumer = AIOKafkaConsumer(
            topic_name(settings, TOPIC_AUDIT_EVENTS),
            bootstrap_servers=settings.kafka_bootstrap_servers,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        # vera's Basic calls above write a login entry of their own, so the topic
        # has one or two entries before otto's.
        actors: list[str] = []
        try:
            async with asyncio.timeout(30):
                while "otto" not in actors:
                    record = await consumer.getone()
                    event = json.loads(record.value)
                    actors.append(event["data"]["actor"])
        finally:
            await consumer.stop()
        summary = (await http.get("/api/v1/summary", auth=basic("vera"))).json()

    assert summary["transactions"] == day.transactions
    assert summary["matched"] == day.matched
    assert summary["open_breaks"] == day.open_breaks
    assert event["data"]["action"] == "login"
    assert event["data"]["actor"] == "otto"
