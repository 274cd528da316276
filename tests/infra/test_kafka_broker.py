"""Tests for the Kafka broker launcher, run against a real broker on loopback."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from aiokafka import (  # type: ignore[import-untyped]
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from aiokafka.errors import (  # type: ignore[import-untyped]
    InvalidReplicationFactorError,
    UnknownTopicOrPartitionError,
)
from aiokafka.structs import ConsumerRecord  # type: ignore[import-untyped]

from recon_platform.infra.kafka import (
    DEFAULT_MESSAGE_MAX_BYTES,
    DEFAULT_VERSION,
    KafkaBroker,
    KafkaBrokerError,
    create_topics,
    ensure_kafka_jars,
    new_cluster_id,
)

pytestmark = pytest.mark.kafka

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
async def kafka_broker(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    await asyncio.to_thread(broker.start)
    yield broker
    await asyncio.to_thread(broker.stop)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def produce(bootstrap_servers: str, topic: str, values: Sequence[bytes]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        max_request_size=DEFAULT_MESSAGE_MAX_BYTES,
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, partition=0)
    finally:
        await producer.stop()


def group_consumer(bootstrap_servers: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def consume(
    consumer: AIOKafkaConsumer, count: int, *, timeout_s: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with asyncio.timeout(timeout_s):
        while len(records) < count:
            batches = await consumer.getmany(
                timeout_ms=500, max_records=count - len(records)
            )
            for batch in batches.values():
                records.extend(batch)
    return records


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_ROOT / "scripts" / "kafka-broker"), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_find_running_returns_started_broker(kafka_broker: KafkaBroker) -> None:
    found = KafkaBroker.find_running(kafka_broker.data_dir)

    assert found is not None
    assert found.pid == kafka_broker.pid
    assert found.bootstrap_servers == kafka_broker.bootstrap_servers


async def test_find_running_empty_folder_returns_none(tmp_path: Path) -> None:
    found = KafkaBroker.find_running(tmp_path)

    assert found is None


async def test_find_running_pid_of_other_process_returns_none(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    data_dir = tmp_path / "copy"
    data_dir.mkdir()
    properties = kafka_broker.server_properties.read_text()
    (data_dir / "server.properties").write_text(properties)
    (data_dir / "broker.pid").write_text(f"{os.getpid()}\n")

    found = KafkaBroker.find_running(data_dir)

    assert found is None


async def test_start_same_data_dir_rejected(kafka_broker: KafkaBroker) -> None:
    second = KafkaBroker(kafka_broker.data_dir)

    with pytest.raises(KafkaBrokerError, match="already runs"):
        second.start()


async def test_broker_produce_consume_round_trip(kafka_broker: KafkaBroker) -> None:
    topic = unique_name("round-trip")
    await create_topics(kafka_broker.bootstrap_servers, [topic])
    values = [b"first", b"second", b"third"]

    await produce(kafka_broker.bootstrap_servers, topic, values)
    consumer = group_consumer(kafka_broker.bootstrap_servers, topic, unique_name("g"))
    await consumer.start()
    try:
        records = await consume(consumer, len(values))
    finally:
        await consumer.stop()

    assert [record.value for record in records] == values
    assert [record.offset for record in records] == [0, 1, 2]


async def test_consumer_group_resumes_after_committed_offset(
    kafka_broker: KafkaBroker,
) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    topic = unique_name("resume")
    group = unique_name("group")
    partition = TopicPartition(topic, 0)
    await create_topics(bootstrap, [topic])
    await produce(bootstrap, topic, [f"message-{i}".encode() for i in range(6)])
    first = group_consumer(bootstrap, topic, group)
    await first.start()
    try:
        first_records = await consume(first, 3)
        await first.commit({partition: first_records[-1].offset + 1})
    finally:
        await first.stop()

    second = group_consumer(bootstrap, topic, group)
    await second.start()
    try:
        committed = await second.committed(partition)
        resumed_records = await consume(second, 3)
    finally:
        await second.stop()

    assert [record.offset for record in first_records] == [0, 1, 2]
    assert committed == 3
    assert [record.offset for record in resumed_records] == [3, 4, 5]
    assert resumed_records[0].value == b"message-3"


async def test_broker_accepts_message_above_kafka_default(
    kafka_broker: KafkaBroker,
) -> None:
    topic = unique_name("large")
    await create_topics(kafka_broker.bootstrap_servers, [topic])
    # Kafka's default limit is about 1 MiB, and the launcher raises it to 10 MiB.
    payload = os.urandom(5 * 1024 * 1024)

    await produce(kafka_broker.bootstrap_servers, topic, [payload])
    consumer = group_consumer(kafka_broker.bootstrap_servers, topic, unique_name("g"))
    await consumer.start()
    try:
        records = await consume(consumer, 1)
    finally:
        await consumer.stop()

    assert records[0].value == payload


async def test_broker_auto_create_topics_disabled(kafka_broker: KafkaBroker) -> None:
    topic = unique_name("missing")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_broker.bootstrap_servers, request_timeout_ms=2000
    )
    await producer.start()

    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait(topic, b"lost")
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap_servers)
    await admin.start()
    try:
        topics = await admin.list_topics()
    finally:
        await admin.close()

    assert topic not in topics


async def test_create_topics_existing_topic_accepted(
    kafka_broker: KafkaBroker,
) -> None:
    topic = unique_name("twice")

    await create_topics(kafka_broker.bootstrap_servers, [topic], partitions=3)
    await create_topics(kafka_broker.bootstrap_servers, [topic], partitions=3)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap_servers)
    await admin.start()
    try:
        descriptions = await admin.describe_topics([topic])
    finally:
        await admin.close()

    assert len(descriptions[0]["partitions"]) == 3


async def test_create_topics_invalid_replication_factor_raises(
    kafka_broker: KafkaBroker,
) -> None:
    topic = unique_name("replicated")

    with pytest.raises(InvalidReplicationFactorError, match=topic):
        await create_topics(
            kafka_broker.bootstrap_servers, [topic], replication_factor=3
        )


async def test_ensure_kafka_jars_reuses_complete_cache(
    kafka_broker: KafkaBroker,
) -> None:
    libs_dir = ensure_kafka_jars(DEFAULT_VERSION)
    marker = libs_dir.parent / "complete.json"
    marker_mtime = marker.stat().st_mtime_ns

    again = ensure_kafka_jars(DEFAULT_VERSION)

    assert again == libs_dir
    assert marker.stat().st_mtime_ns == marker_mtime
    assert (libs_dir / f"kafka_2.13-{DEFAULT_VERSION}.jar").is_file()


def test_ensure_kafka_jars_missing_jar_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_CACHE_DIR", str(tmp_path))
    libs_dir = ensure_kafka_jars(DEFAULT_VERSION)
    server_jar = libs_dir / f"kafka_2.13-{DEFAULT_VERSION}.jar"
    server_jar.unlink()

    again = ensure_kafka_jars(DEFAULT_VERSION)

    marker = json.loads((libs_dir.parent / "complete.json").read_text())
    assert again == libs_dir
    assert server_jar.is_file()
    assert marker["jars"][server_jar.name] == server_jar.stat().st_size


def test_ensure_kafka_jars_invalid_version_rejected() -> None:
    with pytest.raises(KafkaBrokerError, match="invalid Kafka version"):
        ensure_kafka_jars("4.3")


async def test_start_port_in_use_rejected(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        broker = KafkaBroker(tmp_path / "kafka", port=blocker.getsockname()[1])

        with pytest.raises(KafkaBrokerError, match="already in use"):
            await asyncio.to_thread(broker.start)

    assert KafkaBroker.find_running(broker.data_dir) is None


async def test_start_broker_exit_reports_jvm_output(tmp_path: Path) -> None:
    # 16 MiB of heap is too small for the broker, so the JVM exits on
    # OutOfMemoryError before the broker becomes ready.
    broker = KafkaBroker(tmp_path / "kafka", heap_mb=16)

    with pytest.raises(KafkaBrokerError, match="exited during start-up") as raised:
        await asyncio.to_thread(broker.start)

    assert "OutOfMemoryError" in str(raised.value)
    assert KafkaBroker.find_running(broker.data_dir) is None
    assert not broker.pid_file.exists()


async def test_broker_restart_keeps_port_and_messages(tmp_path: Path) -> None:
    broker = KafkaBroker(tmp_path / "kafka")
    topic = unique_name("restart")
    await asyncio.to_thread(broker.start)
    try:
        first_bootstrap = broker.bootstrap_servers
        await create_topics(first_bootstrap, [topic])
        await produce(first_bootstrap, topic, [b"kept"])
    finally:
        await asyncio.to_thread(broker.stop)
    stopped = KafkaBroker.find_running(broker.data_dir)

    restarted = KafkaBroker(tmp_path / "kafka")
    await asyncio.to_thread(restarted.start)
    try:
        consumer = group_consumer(restarted.bootstrap_servers, topic, unique_name("g"))
        await consumer.start()
        try:
            records = await consume(consumer, 1)
        finally:
            await consumer.stop()
    finally:
        await asyncio.to_thread(restarted.stop)

    assert stopped is None
    assert restarted.bootstrap_servers == first_bootstrap
    assert records[0].value == b"kept"
    assert not restarted.pid_file.exists()


def test_cli_start_status_stop(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "kafka")

    started = run_cli("start", "--data-dir", data_dir)
    running = run_cli("status", "--data-dir", data_dir)
    stopped = run_cli("stop", "--data-dir", data_dir)
    after_stop = run_cli("status", "--data-dir", data_dir)

    assert started.returncode == 0, started.stderr
    assert "bootstrap_servers=127.0.0.1:" in started.stdout
    assert running.returncode == 0
    assert "Kafka broker running" in running.stdout
    assert stopped.returncode == 0
    assert "Kafka broker stopped" in stopped.stdout
    assert after_stop.returncode == 3
    assert KafkaBroker.find_running(data_dir) is None


def test_cli_help_lists_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "recon_platform.infra.kafka_cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert "fetch" in result.stdout
    assert "status" in result.stdout


def test_cluster_id_never_starts_with_dash() -> None:
    ids = [new_cluster_id() for _ in range(5000)]

    assert all(not cluster_id.startswith("-") for cluster_id in ids)
    assert all(len(cluster_id) == 22 for cluster_id in ids)
