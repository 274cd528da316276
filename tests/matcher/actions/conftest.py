"""Fixtures of the matcher action tests: a migrated database and the matcher app.

Each test runs once on SQLite and once on PostgreSQL. The app is served without its
lifespan, so no Kafka broker is needed: events stay in the outbox table, where the
tests read them.
"""

import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from matcher_action_factories import BANK_ID, definition
from pydantic import SecretStr
from recon_common.migrations import upgrade
from recon_common.runtime import ServiceRuntime
from recon_common.settings import Environment
from recon_matcher.app import create_app
from recon_matcher.models import OutboxMessage, ProcessedEvent
from recon_matcher.settings import MatcherSettings


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # Sync, because an async fixture cannot request the async `postgres_url`.
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'matcher.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade("recon_matcher", url)
    return url


@pytest.fixture
def service_token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def settings(database_url: str, service_token: str) -> MatcherSettings:
    return MatcherSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr(database_url),
        service_token=SecretStr(service_token),
        kafka_topic_prefix=f"test-{uuid.uuid4().hex[:8]}-",
    )


@pytest.fixture
async def app(settings: MatcherSettings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    runtime = ServiceRuntime(
        settings=settings, outbox_model=OutboxMessage, processed_model=ProcessedEvent
    )
    application.state.runtime = runtime
    application.state.definitions = [definition()]
    try:
        yield application
    finally:
        await runtime.stop()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://matcher"
    ) as http:
        yield http
