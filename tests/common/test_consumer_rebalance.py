"""Tests for `EventConsumer` across a consumer-group rebalance."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from recon_common.events import Envelope

from tests.common.conftest import AppliedEvent, ProcessedEvent, wait_until
from tests.common.consumer_harness import (
    Harness,
    RecordingHandler,
    encode,
    make_envelope,
    open_harness,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

PARTITIONS = 3
MESSAGES = 9


@pytest.fixture
async def harness(
    kafka_bootstrap: str, topic_prefix: str, postgres_url: str
) -> AsyncIterator[Harness]:
    """Return the clients of one test on a topic with several partitions."""
    async with open_harness(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        database_url=postgres_url,
        partitions=PARTITIONS,
    ) as harness:
        yield harness


async def test_consumer_survives_rebalance(harness: Harness) -> None:
    started = asyncio.Event()

    async def slow(envelope: Envelope) -> None:
        started.set()
        await asyncio.sleep(0.5)

    handler = RecordingHandler(before_insert=slow)
    envelopes = [make_envelope(file_id=f"file-{index}") for index in range(MESSAGES)]
    for index, envelope in enumerate(envelopes):
        await harness.producer.send_and_wait(
            harness.topic, value=encode(envelope), partition=index % PARTITIONS
        )
    first = await harness.start_consumer(handler)
    async with asyncio.timeout(30):
        await started.wait()

    second = await harness.start_consumer(handler)

    async def all_applied() -> bool:
        return await harness.count(ProcessedEvent) == MESSAGES

    await wait_until(all_applied, timeout_s=60)
    assert first.running
    assert second.running
    assert sorted(set(handler.calls)) == sorted(str(e.id) for e in envelopes)
    assert await harness.count(AppliedEvent) == MESSAGES
