"""Tests for the shared session of HTTP Basic API calls and its `login` events."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from recon_reporting.app import create_app
from recon_reporting.auth.locks import KeyedLocks
from recon_reporting.auth.passwords import hash_password
from recon_reporting.auth.roles import Role
from recon_reporting.auth.users import StoredUser, save_user
from recon_reporting.settings import ReportingSettings

from tests.reporting.conftest import (
    TEST_HASH_COST,
    basic,
    make_client,
    outbox_events,
)

WRONG = "wrong password"


async def logins(app: FastAPI, *, outcome: str = "success") -> list[dict[str, Any]]:
    return [
        event
        for event in await outbox_events(app)
        if event["action"] == "login" and event["outcome"] == outcome
    ]


async def call_summary(
    http: httpx.AsyncClient, username: str, password: str | None = None
) -> int:
    auth = basic(username) if password is None else basic(username, password)
    response = await http.get("/api/v1/summary", auth=auth)
    return response.status_code


async def test_basic_calls_audit_one_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    statuses = [await call_summary(client, "vera") for _ in range(6)]

    [event] = await logins(app)
    assert statuses == [200] * 6
    assert event["actor"] == "vera"
    assert event["details"]["method"] == "basic"
    assert event["details"]["client_address"] == "127.0.0.1"
    assert len(event["details"]["session"]) == 16


async def test_basic_concurrent_calls_one_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    statuses = await asyncio.gather(*(call_summary(client, "vera") for _ in range(5)))

    assert statuses == [200] * 5
    assert len(await logins(app)) == 1


async def test_basic_wrong_password_audited_every_time(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await call_summary(client, "vera")

    statuses = [await call_summary(client, "vera", WRONG) for _ in range(3)]

    assert statuses == [401] * 3
    failures = await logins(app, outcome="failure")
    assert len(failures) == 3
    assert {event["details"]["method"] for event in failures} == {"basic"}
    assert len(await logins(app)) == 1


async def test_basic_other_address_audits_own_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await call_summary(client, "vera")
    async with make_client(app, address="127.0.0.2") as other:
        await call_summary(other, "vera")
        await call_summary(other, "vera")
    await call_summary(client, "vera")

    addresses = [event["details"]["client_address"] for event in await logins(app)]
    assert addresses == ["127.0.0.1", "127.0.0.2"]


async def test_basic_other_user_audits_own_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await call_summary(client, "vera")
    await call_summary(client, "otto")
    await call_summary(client, "vera")

    actors = [event["actor"] for event in await logins(app)]
    assert actors == ["vera", "otto"]


@pytest.fixture
async def short_session_app(settings: ReportingSettings) -> AsyncIterator[FastAPI]:
    short = settings.model_copy(update={"basic_session_max_age_s": 1})
    application = create_app(short, start_kafka=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_basic_session_expired_audits_new_login(
    short_session_app: FastAPI,
) -> None:
    async with make_client(short_session_app) as http:
        await call_summary(http, "vera")
        await call_summary(http, "vera")
        await asyncio.sleep(1.2)
        status = await call_summary(http, "vera")

    events = await logins(short_session_app)
    assert status == 200
    assert len(events) == 2
    assert events[0]["details"]["session"] != events[1]["details"]["session"]


async def test_basic_session_revoked_not_reused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await call_summary(client, "vera")
    async with make_client(app, address="127.0.0.2") as admin:
        revoked = await admin.post(
            "/api/v1/auth/users/vera/sessions/revoke", auth=basic("admin")
        )

    status = await call_summary(client, "vera")

    assert revoked.json()["revoked_sessions"] == 1
    assert status == 200
    events = [event for event in await logins(app) if event["actor"] == "vera"]
    assert len(events) == 2
    assert events[0]["details"]["session"] != events[1]["details"]["session"]


async def test_basic_changed_password_rejected_at_once(
    app: FastAPI, client: httpx.AsyncClient, users_file: Path
) -> None:
    await call_summary(client, "vera")
    new_password = "a different passphrase"
    save_user(
        users_file,
        StoredUser(
            username="vera",
            password_hash=hash_password(new_password, n=TEST_HASH_COST),
            role=Role.VIEWER,
        ),
    )

    old = await call_summary(client, "vera")
    new = await call_summary(client, "vera", new_password)

    assert old == 401
    assert new == 200
    assert len(await logins(app, outcome="failure")) == 1
    assert len(await logins(app)) == 1


async def test_basic_removed_user_rejected_at_once(
    app: FastAPI, client: httpx.AsyncClient, users_file: Path
) -> None:
    await call_summary(client, "vera")
    await asyncio.to_thread(users_file.unlink)
    save_user(
        users_file,
        StoredUser(
            username="otto",
            password_hash=hash_password("unused passphrase", n=TEST_HASH_COST),
            role=Role.OPERATOR,
        ),
    )

    status = await call_summary(client, "vera")

    assert status == 401
    assert len(await logins(app, outcome="failure")) == 1


async def test_basic_call_sets_no_cookie(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/summary", auth=basic("vera"))

    assert response.cookies.get("recon_session") is None
    assert "set-cookie" not in response.headers


async def test_keyed_locks_dropped_after_release() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def hold(name: str) -> None:
        async with locks.hold(("vera", "127.0.0.1")):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(hold("first"), hold("second"))

    assert order == ["first in", "first out", "second in", "second out"]
    assert len(locks) == 0
