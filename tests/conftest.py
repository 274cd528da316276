"""Fixtures shared by every test: a real Kafka broker and a real PostgreSQL server.

Both are started by the project's own launchers on loopback ports, once per test
session. Tests that use them get unique topic prefixes and fresh databases, so they
never see each other's data.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from recon_platform.infra.kafka import KafkaBroker
from recon_platform.infra.postgres import (
    create_database,
    drop_database,
    ensure_postgres,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start one broker for the session and return its bootstrap address."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka-shared"))
    broker.start(timeout_s=120.0)
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture
def topic_prefix() -> str:
    """Return a prefix that gives the test its own topics and consumer groups."""
    return f"t{uuid.uuid4().hex[:10]}-"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """Install and start PostgreSQL if needed; return the URL of the test role."""
    return ensure_postgres()


@pytest.fixture
async def postgres_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """Create an empty database for one test and drop it afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(postgres_admin_url, name)
    try:
        yield url
    finally:
        await drop_database(postgres_admin_url, name)
