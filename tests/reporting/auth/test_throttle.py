"""Tests for the failed sign-in throttle: limits, Retry-After, reset and audit."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from recon_common.runtime import ServiceRuntime
from recon_reporting.app import create_app
from recon_reporting.auth.throttle import (
    Throttled,
    ThrottleLimits,
    begin_attempt,
)
from recon_reporting.settings import ReportingSettings

from tests.reporting.conftest import basic, login, make_client, outbox_events

WRONG = "wrong password"
WINDOW_S = 15 * 60


async def fail_logins(http: httpx.AsyncClient, username: str, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        response = await login(http, username, WRONG)
        statuses.append(response.status_code)
    return statuses


def without_digits(text: str) -> str:
    return re.sub(r"\d", "0", text)


async def test_login_throttled_after_five_failures(
    client: httpx.AsyncClient,
) -> None:
    failures = await fail_logins(client, "otto", 5)

    response = await login(client, "otto")

    assert failures == [401] * 5
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= WINDOW_S
    assert "Too many failed sign-in attempts. Try again after" in response.text
    assert "recon_session" not in response.cookies


async def test_login_throttled_attempts_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await fail_logins(client, "otto", 5)

    await login(client, "otto")
    await login(client, "otto", WRONG)

    events = await outbox_events(app)
    throttled = [event for event in events if event["action"] == "login.throttled"]
    assert len(events) == 7
    assert len(throttled) == 2
    assert throttled[0]["actor"] == "otto"
    assert throttled[0]["outcome"] == "failure"
    assert throttled[0]["details"]["method"] == "form"
    assert throttled[0]["details"]["client_address"] == "127.0.0.1"
    assert throttled[0]["details"]["throttled_by"] == "username"


async def test_login_throttle_reset_after_success(
    client: httpx.AsyncClient,
) -> None:
    before = await fail_logins(client, "otto", 4)
    success = await login(client, "otto")

    after = await fail_logins(client, "otto", 5)

    assert before == [401] * 4
    assert success.status_code == 303
    assert after == [401] * 5


async def test_login_throttle_limited_to_username(
    client: httpx.AsyncClient,
) -> None:
    await fail_logins(client, "otto", 5)

    response = await login(client, "vera")

    assert response.status_code == 303


async def test_login_unknown_user_same_response(
    app: FastAPI,
) -> None:
    async with make_client(app, address="127.0.0.2") as known:
        known_failures = await fail_logins(known, "otto", 5)
        known_throttled = await login(known, "otto", WRONG)
    async with make_client(app, address="127.0.0.3") as unknown:
        unknown_failures = await fail_logins(unknown, "mallory", 5)
        unknown_throttled = await login(unknown, "mallory", WRONG)

    assert known_failures == unknown_failures
    assert known_throttled.status_code == unknown_throttled.status_code == 429
    assert "retry-after" in unknown_throttled.headers
    assert without_digits(known_throttled.text) == without_digits(
        unknown_throttled.text
    )


async def test_token_request_throttled_with_json(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(5):
        await client.post("/api/v1/auth/token", auth=basic("vera", WRONG))

    response = await client.post("/api/v1/auth/token", auth=basic("vera"))

    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= WINDOW_S
    assert response.json()["error"] == "LoginThrottled"
    assert "try again after" in response.json()["detail"]


async def test_basic_api_call_throttled(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for _ in range(5):
        await client.get("/api/v1/summary", auth=basic("vera", WRONG))

    response = await client.get("/api/v1/summary", auth=basic("vera"))

    assert response.status_code == 429
    assert "retry-after" in response.headers
    methods = [
        event["details"]["method"]
        for event in await outbox_events(app)
        if event["action"] == "login.throttled"
    ]
    assert methods == ["basic"]


async def test_form_and_token_failures_share_count(
    client: httpx.AsyncClient,
) -> None:
    await fail_logins(client, "vera", 3)
    for _ in range(2):
        await client.post("/api/v1/auth/token", auth=basic("vera", WRONG))

    response = await login(client, "vera")

    assert response.status_code == 429


@pytest.fixture
async def address_limited_app(
    settings: ReportingSettings,
) -> AsyncIterator[FastAPI]:
    limited = settings.model_copy(update={"login_max_failures_per_address": 3})
    application = create_app(limited, start_kafka=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_login_throttled_per_client_address(
    address_limited_app: FastAPI,
) -> None:
    async with make_client(address_limited_app, address="127.0.0.5") as sprayer:
        for username in ("otto", "vera", "aud"):
            await login(sprayer, username, WRONG)
        same_address = await login(sprayer, "admin")
    async with make_client(address_limited_app, address="127.0.0.6") as colleague:
        other_address = await login(colleague, "admin")

    assert same_address.status_code == 429
    assert other_address.status_code == 303


async def test_address_count_not_reset_by_success(
    address_limited_app: FastAPI,
) -> None:
    async with make_client(address_limited_app, address="127.0.0.5") as sprayer:
        for username in ("otto", "vera"):
            await login(sprayer, username, WRONG)
        own_account = await login(sprayer, "aud")
        after_success = await login(sprayer, "admin", WRONG)
        throttled = await login(sprayer, "admin")

    assert own_account.status_code == 303
    assert after_success.status_code == 401
    assert throttled.status_code == 429


@pytest.fixture
async def replicas(settings: ReportingSettings) -> AsyncIterator[list[FastAPI]]:
    first = create_app(settings, start_kafka=False)
    second = create_app(settings, start_kafka=False)
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
    ):
        yield [first, second]


async def test_replicas_share_failure_count(replicas: list[FastAPI]) -> None:
    async with make_client(replicas[0]) as first, make_client(replicas[1]) as second:
        statuses = [
            (await login(http, "otto", WRONG)).status_code
            for http in (first, second, first, second, first)
        ]
        response = await login(second, "otto")

    assert statuses == [401] * 5
    assert response.status_code == 429


async def test_concurrent_failures_never_exceed_limit(
    replicas: list[FastAPI],
) -> None:
    async with make_client(replicas[0]) as first, make_client(replicas[1]) as second:
        burst = await asyncio.gather(
            *(login(http, "otto", WRONG) for http in [first, second] * 6)
        )
        # An attempt of the burst may count another's row before that one is
        # deleted as throttled, so fewer than five may pass. Sequential attempts
        # then take the checked passwords up to exactly five.
        sequential = [
            (await login(http, "otto", WRONG)).status_code
            for http in (first, second, first, second, first, second)
        ]

    statuses = [response.status_code for response in burst]
    assert statuses.count(401) <= 5
    assert statuses.count(401) + statuses.count(429) == 12
    assert statuses.count(401) + sequential.count(401) == 5
    assert sequential[-1] == 429


async def test_begin_attempt_throttle_lifts_after_window(app: FastAPI) -> None:
    runtime: ServiceRuntime = app.state.runtime
    limits = ThrottleLimits(
        max_failures=5, max_failures_per_address=20, window=timedelta(minutes=15)
    )
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    for second in range(5):
        await begin_attempt(
            runtime.sessions,
            username="otto",
            client_address="127.0.0.1",
            limits=limits,
            now=start + timedelta(seconds=second),
        )

    inside = await begin_attempt(
        runtime.sessions,
        username="otto",
        client_address="127.0.0.1",
        limits=limits,
        now=start + timedelta(minutes=10),
    )
    after = await begin_attempt(
        runtime.sessions,
        username="otto",
        client_address="127.0.0.1",
        limits=limits,
        now=start + timedelta(minutes=15, seconds=1),
    )

    assert isinstance(inside, Throttled)
    assert inside.retry_at == start + timedelta(minutes=15)
    assert isinstance(after, int)
