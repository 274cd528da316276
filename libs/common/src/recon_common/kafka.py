"""Kafka client settings, topic names and trace-context headers."""

import ssl
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from opentelemetry import propagate

from recon_common.settings import ServiceSettings

# Header names are the W3C trace-context names, so any OpenTelemetry consumer can join.
Headers = list[tuple[str, bytes]]


def topic_name(settings: ServiceSettings, topic: str) -> str:
    """Return the broker-side name of `topic`, with the deployment's prefix."""
    return f"{settings.kafka_topic_prefix}{topic}"


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Return the connection options that producers, consumers and admins share."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in {"SSL", "SASL_SSL"}:
        options["ssl_context"] = ssl.create_default_context(
            cafile=settings.kafka_ssl_cafile
        )
    if settings.kafka_sasl_mechanism:
        if settings.kafka_sasl_password is None:
            raise ValueError(
                "kafka_sasl_mechanism is set but kafka_sasl_password is missing; set "
                "both or neither"
            )
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


def create_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """Create a producer that waits for all in-sync replicas and never duplicates."""
    return AIOKafkaProducer(
        **client_options(settings),
        client_id=settings.service_name,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )


def trace_headers() -> Headers:
    """Return the current trace context as Kafka headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(name, value.encode()) for name, value in carrier.items()]


def carrier_from_headers(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    """Turn Kafka headers back into a carrier for `propagate.extract`."""
    return {name: value.decode("latin-1") for name, value in headers or ()}


async def ensure_topics(
    settings: ServiceSettings, topics: Sequence[str], *, partitions: int = 3
) -> None:
    """Create `topics` and their dead-letter topics if they do not exist yet."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    names = [topic_name(settings, topic) for topic in topics]
    names += [f"{name}.dlq" for name in names]
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if not missing:
            return
        new_topics = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=1)
            for name in missing
        ]
        try:
            await admin.create_topics(new_topics)
        except TopicAlreadyExistsError:
            pass
    finally:
        await admin.close()
