"""Fixtures of the stored-definition tests: a migrated database and the matcher app.

Each test that uses `database_url` runs once on SQLite and once on PostgreSQL. The
app runs its lifespan without Kafka (`start_kafka=False`), so the definitions file
seeds the store as in production while events stay in the outbox table.
"""

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from definition_factories import BANK_ID, definition_yaml, file_text
from fastapi import FastAPI
from pydantic import SecretStr
from recon_common.migrations import upgrade
from recon_common.settings import Environment
from recon_matcher.app import create_app
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
def definitions_file(tmp_path: Path) -> Path:
    path = tmp_path / "reconciliations.yaml"
    path.write_text(file_text(definition_yaml()), encoding="utf-8")
    return path


@pytest.fixture
def settings(
    database_url: str, service_token: str, definitions_file: Path
) -> MatcherSettings:
    return MatcherSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr(database_url),
        service_token=SecretStr(service_token),
        definitions_file=definitions_file,
        kafka_topic_prefix=f"test-{uuid.uuid4().hex[:8]}-",
    )


class Matcher:
    """Start and stop matcher apps on one database, as restarts of the service."""

    def __init__(self, settings: MatcherSettings) -> None:
        self.settings = settings
        self._stack = AsyncExitStack()

    async def start(self) -> FastAPI:
        """Run a new app's lifespan until `stop`."""
        app = create_app(self.settings, start_kafka=False)
        await self._stack.enter_async_context(app.router.lifespan_context(app))
        return app

    async def stop(self) -> None:
        """End the lifespan of every app started so far."""
        await self._stack.aclose()


@pytest.fixture
async def matcher(settings: MatcherSettings) -> AsyncIterator[Matcher]:
    runner = Matcher(settings)
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def app(matcher: Matcher) -> FastAPI:
    return await matcher.start()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://matcher"
    ) as http:
        yield http
