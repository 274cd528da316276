"""Fixtures and helpers of the `recon_common` tests: schema, databases, Kafka reads.

`Base` is a test-local schema with the two plumbing tables every service keeps and an
`applied_events` table that handlers write to, so a test can count how often an event
was applied.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from recon_common.db import NAMING_CONVENTION, UtcDateTime, create_engine
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from recon_common.settings import ServiceSettings
from sqlalchemy import Integer, MetaData, String
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from recon_platform.infra.postgres import create_database, drop_database

BANK_ID = "bank-a"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class AppliedEvent(Base):
    """One row per committed handler call, so a double apply shows as two rows."""

    __tablename__ = "applied_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())


async def create_schema(url: str) -> AsyncEngine:
    """Create the test schema in the database at `url` and return an engine for it."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    return engine


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """Return the URL of an empty SQLite file, then of an empty PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/service.db"
        return
    # The shared `postgres_url` fixture is async, and pytest-asyncio cannot resolve an
    # async fixture through `getfixturevalue`, so the database is created here.
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(admin_url, name)
    try:
        yield url
    finally:
        await drop_database(admin_url, name)


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, timeout_s: float = 30.0
) -> None:
    """Poll `condition` every 50 ms until it is true, or raise TimeoutError."""
    async with asyncio.timeout(timeout_s):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.05)


def service_settings(
    *, kafka_bootstrap: str, topic_prefix: str, database_url: str
) -> ServiceSettings:
    """Return settings of a test service on the shared broker and `database_url`."""
    return ServiceSettings(
        service_name="common-test",
        bank_id=BANK_ID,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=topic_prefix,
        database_url=database_url,
    )


async def consume(
    bootstrap: str, topic: str, *, count: int, timeout_s: float = 20.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read up to `count` records of `topic` from the start, within `timeout_s`."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while len(records) < count and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records
