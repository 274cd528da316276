"""Tests for `EventConsumer` on a real Kafka broker and PostgreSQL.

Topics have one partition, so offsets are the positions of the produced messages.
"""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from recon_common.consumer import RejectedEvent
from recon_common.events import AuditOutcome, Envelope

from tests.common.conftest import AppliedEvent, ProcessedEvent, consume
from tests.common.consumer_harness import (
    MAX_ATTEMPTS,
    Harness,
    RecordingHandler,
    encode,
    make_envelope,
    open_harness,
    record_headers,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
async def harness(
    kafka_bootstrap: str, topic_prefix: str, postgres_url: str
) -> AsyncIterator[Harness]:
    """Return the clients of one test on a one-partition topic."""
    async with open_harness(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        database_url=postgres_url,
    ) as harness:
        yield harness


async def test_consumer_applies_event(harness: Harness) -> None:
    handler = RecordingHandler()
    envelope = make_envelope()
    await harness.start_consumer(handler)

    await harness.produce(encode(envelope))
    await harness.wait_committed(1)

    assert await harness.count(AppliedEvent, str(envelope.id)) == 1
    assert await harness.count(ProcessedEvent, str(envelope.id)) == 1
    assert handler.calls == [str(envelope.id)]


async def test_consumer_duplicate_delivery_applied_once(harness: Harness) -> None:
    handler = RecordingHandler()
    envelope = make_envelope()
    await harness.start_consumer(handler)

    await harness.produce(encode(envelope))
    await harness.produce(encode(envelope))
    await harness.wait_committed(2)

    assert await harness.count(AppliedEvent, str(envelope.id)) == 1
    assert await harness.count(ProcessedEvent, str(envelope.id)) == 1
    assert handler.calls == [str(envelope.id)]


async def test_consumer_commits_offset_after_database(harness: Harness) -> None:
    offsets_seen_in_handler: list[int | None] = []

    async def check_offset(envelope: Envelope) -> None:
        offsets_seen_in_handler.append(await harness.committed_offset())

    handler = RecordingHandler(before_insert=check_offset)
    envelope = make_envelope()
    await harness.start_consumer(handler)

    await harness.produce(encode(envelope))
    await harness.wait_committed(1)
    rows_when_committed = await harness.count(AppliedEvent, str(envelope.id))

    assert offsets_seen_in_handler == [None]
    assert rows_when_committed == 1


async def test_consumer_failing_handler_dead_lettered(harness: Harness) -> None:
    poison = make_envelope(file_id="file-poison")
    good = make_envelope(file_id="file-good")

    async def fail_on_poison(envelope: Envelope) -> None:
        if envelope.id == poison.id:
            raise RuntimeError("parser crashed on file-poison")

    handler = RecordingHandler(before_insert=fail_on_poison)
    consumer = await harness.start_consumer(handler)

    await harness.produce(encode(poison))
    await harness.produce(encode(good))
    await harness.wait_committed(2)

    dead = await consume(
        harness.settings.kafka_bootstrap_servers, f"{harness.topic}.dlq", count=1
    )
    headers = record_headers(dead[0])
    audits = await harness.outbox_audit_events()
    assert handler.calls.count(str(poison.id)) == MAX_ATTEMPTS
    assert await harness.count(AppliedEvent, str(poison.id)) == 0
    assert await harness.count(ProcessedEvent, str(poison.id)) == 0
    assert await harness.count(AppliedEvent, str(good.id)) == 1
    assert len(dead) == 1
    assert dead[0].value == encode(poison)
    assert headers["dlq-error"] == b"RuntimeError: parser crashed on file-poison"
    assert headers["dlq-original-topic"] == harness.topic.encode()
    assert headers["dlq-original-offset"] == b"0"
    assert consumer.dead_lettered == 1
    assert len(audits) == 1
    assert audits[0].action == "event.dead_lettered"
    assert audits[0].outcome == AuditOutcome.FAILURE
    assert audits[0].resource_id == str(poison.id)
    assert audits[0].details["topic"] == harness.topic
    assert "parser crashed" in audits[0].details["error"]


async def test_consumer_rejected_event_not_retried(harness: Harness) -> None:
    envelope = make_envelope()

    async def reject(envelope: Envelope) -> None:
        raise RejectedEvent("reconciliation 'r-9' does not exist")

    handler = RecordingHandler(before_insert=reject)
    await harness.start_consumer(handler)

    await harness.produce(encode(envelope))
    await harness.wait_committed(1)

    dead = await consume(
        harness.settings.kafka_bootstrap_servers, f"{harness.topic}.dlq", count=1
    )
    assert handler.calls == [str(envelope.id)]
    assert (
        record_headers(dead[0])["dlq-error"] == b"reconciliation 'r-9' does not exist"
    )


async def test_consumer_other_bank_dead_lettered(harness: Harness) -> None:
    foreign = make_envelope(bank_id="bank-b")
    handler = RecordingHandler()
    await harness.start_consumer(handler)

    await harness.produce(encode(foreign))
    await harness.wait_committed(1)

    dead = await consume(
        harness.settings.kafka_bootstrap_servers, f"{harness.topic}.dlq", count=1
    )
    audits = await harness.outbox_audit_events()
    assert handler.calls == []
    assert await harness.count(ProcessedEvent) == 0
    assert dead[0].value == encode(foreign)
    assert b"bank 'bank-b'" in record_headers(dead[0])["dlq-error"]
    assert [audit.action for audit in audits] == ["event.dead_lettered"]


async def test_consumer_invalid_json_dead_lettered(harness: Harness) -> None:
    good = make_envelope()
    handler = RecordingHandler()
    await harness.start_consumer(handler)

    await harness.produce(b"{not json")
    await harness.produce(encode(good))
    await harness.wait_committed(2)

    dead = await consume(
        harness.settings.kafka_bootstrap_servers, f"{harness.topic}.dlq", count=1
    )
    audits = await harness.outbox_audit_events()
    assert dead[0].value == b"{not json"
    assert record_headers(dead[0])["dlq-error"].startswith(b"invalid event envelope")
    assert audits[0].resource_id == f"{harness.topic}/0"
    assert handler.calls == [str(good.id)]


async def test_consumer_envelope_missing_field_dead_lettered(
    harness: Harness,
) -> None:
    raw = json.loads(encode(make_envelope()))
    del raw["bank_id"]
    handler = RecordingHandler()
    await harness.start_consumer(handler)

    await harness.produce(json.dumps(raw).encode())
    await harness.wait_committed(1)

    dead = await consume(
        harness.settings.kafka_bootstrap_servers, f"{harness.topic}.dlq", count=1
    )
    assert record_headers(dead[0])["dlq-error"].startswith(b"invalid event envelope")
    assert handler.calls == []


async def test_consumer_restart_after_handler_crash_applies_once(
    harness: Harness,
) -> None:
    envelope = make_envelope()
    handler_ran = asyncio.Event()

    async def crash_first_time(envelope: Envelope) -> None:
        if len(handler.calls) == 1:
            handler_ran.set()
            raise RuntimeError("process killed before the database commit")

    handler = RecordingHandler(before_insert=crash_first_time)
    # A long backoff keeps the first consumer waiting to retry, as if it had died.
    first = await harness.start_consumer(handler, retry_backoff_s=60.0)
    await harness.produce(encode(envelope))
    async with asyncio.timeout(30):
        await handler_ran.wait()
    await first.stop()
    offset_after_crash = await harness.committed_offset()
    rows_after_crash = await harness.count(AppliedEvent)

    await harness.start_consumer(handler)
    await harness.wait_committed(1)

    assert offset_after_crash is None
    assert rows_after_crash == 0
    assert handler.calls == [str(envelope.id), str(envelope.id)]
    assert await harness.count(AppliedEvent, str(envelope.id)) == 1
    assert await harness.count(ProcessedEvent, str(envelope.id)) == 1


async def test_consumer_redelivery_after_lost_offset_commit_skipped(
    harness: Harness,
) -> None:
    envelope = make_envelope()
    handler = RecordingHandler()
    first = await harness.start_consumer(handler)
    await harness.produce(encode(envelope))
    await harness.wait_committed(1)
    await first.stop()
    # The database commit happened but the offset commit was lost: rewind the group.
    rewind = AIOKafkaConsumer(
        bootstrap_servers=harness.settings.kafka_bootstrap_servers,
        group_id=harness.group_id,
        enable_auto_commit=False,
    )
    await rewind.start()
    try:
        partition = TopicPartition(harness.topic, 0)
        rewind.assign([partition])
        await rewind.commit({partition: 0})
    finally:
        await rewind.stop()
    assert await harness.committed_offset() == 0

    second = await harness.start_consumer(handler)
    await harness.wait_committed(1)

    assert second.processed == 1
    assert handler.calls == [str(envelope.id)]
    assert await harness.count(AppliedEvent, str(envelope.id)) == 1
