"""Fixtures of the reporting tests: a migrated SQLite database, users and the app."""

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from recon_common.db import session_scope
from recon_common.migrations import upgrade_async
from recon_common.runtime import ServiceRuntime
from recon_common.settings import Environment
from recon_reporting.app import create_app
from recon_reporting.auth.passwords import hash_password
from recon_reporting.auth.roles import Role
from recon_reporting.auth.users import StoredUser, save_user
from recon_reporting.models import OutboxMessage
from recon_reporting.readmodel.handlers import handle_matches_produced
from recon_reporting.settings import ReportingSettings
from sqlalchemy import select

from tests.reporting.factory import BANK_ID, envelope

PASSWORD = "correct horse battery staple"
# A low scrypt cost keeps each login in the tests at a few milliseconds.
TEST_HASH_COST = 2**12
USERS = {
    "vera": Role.VIEWER,
    "otto": Role.OPERATOR,
    "aud": Role.AUDITOR,
    "admin": Role.ADMINISTRATOR,
}


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}"
    await upgrade_async("recon_reporting", url)
    return url


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.json"
    for username, role in USERS.items():
        password_hash = hash_password(PASSWORD, n=TEST_HASH_COST)
        save_user(
            path, StoredUser(username=username, password_hash=password_hash, role=role)
        )
    return path


@pytest.fixture
def settings(database_url: str, users_file: Path) -> ReportingSettings:
    return ReportingSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr(database_url),
        users_file=users_file,
        session_secret=SecretStr(secrets.token_urlsafe(32)),
        kafka_topic_prefix=f"test-{uuid.uuid4().hex[:8]}-",
    )


@pytest.fixture
async def app(settings: ReportingSettings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, start_kafka=False)
    async with application.router.lifespan_context(application):
        yield application


def make_client(app: FastAPI, *, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as http:
        yield http


async def feed(app: FastAPI, payload: Any, **kwargs: Any) -> None:
    """Apply `payload` through the handler in a committed session."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        await handle_matches_produced(session, envelope(payload, **kwargs))


async def outbox_events(app: FastAPI) -> list[dict[str, Any]]:
    """Return the payloads of the audit events in the outbox, oldest first."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.position)
        )
        bodies = [json.loads(row.body) for row in rows]
    return [body["data"] for body in bodies]


def basic(username: str, password: str = PASSWORD) -> httpx.BasicAuth:
    return httpx.BasicAuth(username, password)


async def login(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await http.post(
        "/login", data={"username": username, "password": password, "next": "/"}
    )
