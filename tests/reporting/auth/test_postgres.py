"""Sessions and the failed sign-in throttle on PostgreSQL, the tested server database.

The other tests of this folder run on SQLite. These repeat the parts whose SQL or
concurrency could behave differently on a server database.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from recon_common.migrations import upgrade_async
from recon_reporting.app import create_app
from recon_reporting.auth.tokens import SESSION_COOKIE
from recon_reporting.settings import ReportingSettings

from tests.reporting.conftest import basic, login, make_client, outbox_events

pytestmark = pytest.mark.postgres

WRONG = "wrong password"


@pytest.fixture
async def database_url(postgres_url: str) -> str:
    await upgrade_async("recon_reporting", postgres_url)
    return postgres_url


@pytest.fixture
async def replicas(settings: ReportingSettings) -> AsyncIterator[list[FastAPI]]:
    first = create_app(settings, start_kafka=False)
    second = create_app(settings, start_kafka=False)
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
    ):
        yield [first, second]


async def test_postgres_cookie_reused_after_logout_rejected(
    replicas: list[FastAPI],
) -> None:
    async with make_client(replicas[0]) as first:
        await login(first, "otto")
        copied = first.cookies[SESSION_COOKIE]
        await first.post("/logout")
    async with make_client(replicas[1]) as second:
        second.cookies.set(SESSION_COOKIE, copied)
        response = await second.get("/api/v1/summary")

    assert response.status_code == 401


async def test_postgres_token_reused_after_revoke_rejected(
    replicas: list[FastAPI],
) -> None:
    async with make_client(replicas[0]) as first:
        issued = await first.post("/api/v1/auth/token", auth=basic("vera"))
        token = issued.json()["access_token"]
    async with make_client(replicas[1]) as second:
        revoked = await second.post(
            "/api/v1/auth/users/vera/sessions/revoke", auth=basic("admin")
        )
        response = await second.get(
            "/api/v1/summary", headers={"Authorization": f"Bearer {token}"}
        )

    assert revoked.json()["revoked_sessions"] == 1
    assert response.status_code == 401


async def test_postgres_concurrent_failures_never_exceed_limit(
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


async def test_postgres_success_resets_count(replicas: list[FastAPI]) -> None:
    async with make_client(replicas[0]) as first, make_client(replicas[1]) as second:
        for http in (first, second, first, second):
            await login(http, "otto", WRONG)
        success = await login(second, "otto")
        after = [
            (await login(http, "otto", WRONG)).status_code
            for http in (first, second, first, second, first)
        ]

    assert success.status_code == 303
    assert after == [401] * 5


async def test_postgres_basic_session_shared_by_replicas(
    replicas: list[FastAPI],
) -> None:
    async with make_client(replicas[0]) as first, make_client(replicas[1]) as second:
        statuses = [
            (await http.get("/api/v1/summary", auth=basic("vera"))).status_code
            for http in (first, second, first, second)
        ]

    logins = [
        event
        for event in await outbox_events(replicas[0])
        if event["action"] == "login"
    ]
    assert statuses == [200] * 4
    assert len(logins) == 1


async def test_postgres_concurrent_basic_logins_bounded(
    replicas: list[FastAPI],
) -> None:
    # The throttle counts attempts in flight as failures until their password is
    # checked, so the burst stays below the default limit of 5.
    async with make_client(replicas[0]) as first, make_client(replicas[1]) as second:
        responses = await asyncio.gather(
            *(
                http.get("/api/v1/summary", auth=basic("vera"))
                for http in [first, second] * 2
            )
        )

    logins = [
        event
        for event in await outbox_events(replicas[0])
        if event["action"] == "login"
    ]
    assert [response.status_code for response in responses] == [200] * 4
    assert 1 <= len(logins) <= 2


async def test_postgres_concurrent_basic_successes_no_deadlock(
    replicas: list[FastAPI],
) -> None:
    statuses: list[int] = []
    async with make_client(replicas[0]) as first, make_client(replicas[1]) as second:
        for _ in range(10):
            responses = await asyncio.gather(
                *(
                    http.get("/api/v1/summary", auth=basic("vera"))
                    for http in [first, second] * 2
                )
            )
            statuses.extend(response.status_code for response in responses)

    assert statuses == [200] * 40
