"""Tests for the Kafka helpers: topic names, topic creation, options, trace headers."""

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from opentelemetry import context as otel_context
from opentelemetry import trace
from pydantic import SecretStr
from recon_common.kafka import (
    carrier_from_headers,
    client_options,
    ensure_topics,
    topic_name,
    trace_headers,
)
from recon_common.settings import ServiceSettings


def test_topic_name_adds_prefix() -> None:
    settings = ServiceSettings(kafka_topic_prefix="bank-a.")

    assert topic_name(settings, "file-landed") == "bank-a.file-landed"


def test_client_options_plaintext() -> None:
    settings = ServiceSettings(kafka_bootstrap_servers="127.0.0.1:19092")

    options = client_options(settings)

    assert options == {
        "bootstrap_servers": "127.0.0.1:19092",
        "security_protocol": "PLAINTEXT",
    }


def test_client_options_sasl_without_password_rejected() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="matcher",
    )

    with pytest.raises(ValueError, match="kafka_sasl_password is missing"):
        client_options(settings)


def test_client_options_sasl_with_password() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="matcher",
        kafka_sasl_password=SecretStr("s3cr3t-value"),
    )

    options = client_options(settings)

    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "matcher"
    assert options["sasl_plain_password"] == "s3cr3t-value"


def test_trace_headers_round_trip() -> None:
    span_context = trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    token = otel_context.attach(
        trace.set_span_in_context(trace.NonRecordingSpan(span_context))
    )
    try:
        headers = trace_headers()
    finally:
        otel_context.detach(token)

    carrier = carrier_from_headers(headers)

    assert carrier["traceparent"] == (
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    )


def test_trace_headers_empty_without_span() -> None:
    headers = trace_headers()

    assert carrier_from_headers(headers) == {}
    assert carrier_from_headers(None) == {}


@pytest.mark.kafka
async def test_ensure_topics_creates_dead_letter_topics(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    settings = ServiceSettings(
        kafka_bootstrap_servers=kafka_bootstrap, kafka_topic_prefix=topic_prefix
    )

    await ensure_topics(settings, ["file-landed", "audit-events"], partitions=2)
    await ensure_topics(settings, ["file-landed", "audit-events"], partitions=2)

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        names = {
            name for name in await admin.list_topics() if name.startswith(topic_prefix)
        }
        described = await admin.describe_topics([f"{topic_prefix}file-landed"])
    finally:
        await admin.close()
    assert names == {
        f"{topic_prefix}file-landed",
        f"{topic_prefix}file-landed.dlq",
        f"{topic_prefix}audit-events",
        f"{topic_prefix}audit-events.dlq",
    }
    assert len(described[0]["partitions"]) == 2
