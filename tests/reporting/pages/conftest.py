"""Fixtures of the operator form tests: a real matcher behind the reporting pages.

The matcher app runs under uvicorn on a loopback port, on its own migrated SQLite
database, and the reporting app calls it at `REPORTING_MATCHER_URL` as in
production. Neither app starts Kafka. `relay` moves the matcher's
`matches-produced` messages from its outbox table to the reporting handler, which is
the work that the outbox relay, the broker and the reporting consumer do between
two real services.
"""

import asyncio
import json
import re
import secrets
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from recon_common.db import session_scope
from recon_common.events import TOPIC_MATCHES_PRODUCED, Envelope
from recon_common.migrations import upgrade_async
from recon_common.runtime import ServiceRuntime
from recon_common.settings import Environment
from recon_matcher.app import create_app as create_matcher_app
from recon_matcher.definitions.seeding import seed_definitions
from recon_matcher.models import OutboxMessage as MatcherOutbox
from recon_matcher.models import ProcessedEvent as MatcherProcessedEvent
from recon_matcher.settings import MatcherSettings
from recon_reporting.app import create_app as create_reporting_app
from recon_reporting.auth.csrf import csrf_token
from recon_reporting.auth.passwords import hash_password
from recon_reporting.auth.roles import Role
from recon_reporting.auth.tokens import SESSION_COOKIE
from recon_reporting.auth.users import StoredUser, save_user
from recon_reporting.readmodel.handlers import handle_matches_produced
from recon_reporting.settings import ReportingSettings
from sqlalchemy import select

from tests.reporting.conftest import (
    PASSWORD,
    TEST_HASH_COST,
    basic,
    login,
    make_client,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "matcher" / "actions"))
from matcher_action_factories import (  # noqa: E402
    BANK_ID,
    DAY,
    definition,
    feed,
    item,
    ledger,
)

CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Users beside the shared ones of tests/reporting/conftest.py: otto is an operator
# and vera a viewer there.
APPROVER = "anna"
# Seconds that `relay` waits for the matcher to commit an action's messages.
RELAY_TIMEOUT_S = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def live_matcher(tmp_path: Path) -> AsyncIterator[FastAPI]:
    """Serve a real matcher app on a loopback port, without Kafka."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'matcher.db'}"
    await upgrade_async("recon_matcher", url)
    settings = MatcherSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr(url),
        service_token=SecretStr(secrets.token_urlsafe(32)),
    )

    app = create_matcher_app(settings)
    runtime = ServiceRuntime(
        settings=settings,
        outbox_model=MatcherOutbox,
        processed_model=MatcherProcessedEvent,
    )
    app.state.runtime = runtime
    app.state.definitions = [definition()]

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        # uvicorn exposes start-up as a flag, not an event.
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    app.state.port = port
    app.state.relayed_position = 0
    try:
        yield app
    finally:
        server.should_exit = True
        await task
        await runtime.stop()


@pytest.fixture
async def operator_app(
    live_matcher: FastAPI, settings: ReportingSettings, users_file: Path
) -> AsyncIterator[FastAPI]:
    """Return the reporting app wired to `live_matcher`, with an approver added."""
    save_user(
        users_file,
        StoredUser(
            username=APPROVER,
            password_hash=hash_password(PASSWORD, n=TEST_HASH_COST),
            role=Role.APPROVER,
        ),
    )
    wired = settings.model_copy(
        update={
            "bank_id": BANK_ID,
            "matcher_url": f"http://127.0.0.1:{live_matcher.state.port}",
            "service_token": live_matcher.state.settings.service_token,
            "matcher_timeout_s": 10.0,
        }
    )
    app = create_reporting_app(wired, start_kafka=False)
    async with app.router.lifespan_context(app):
        yield app


async def seed_store(matcher: FastAPI) -> None:
    """Save the test definition in the matcher's store, as its start-up does."""
    runtime: ServiceRuntime = matcher.state.runtime
    async with session_scope(runtime.sessions) as session:
        await seed_definitions(
            session,
            definitions=[definition()],
            path="definitions.yaml",
            settings=matcher.state.settings,
        )


@pytest.fixture
async def seeded(live_matcher: FastAPI, operator_app: FastAPI) -> FastAPI:
    """Return the reporting app wired to a matcher that stores one definition."""
    await seed_store(live_matcher)
    return operator_app


async def _new_messages(matcher: FastAPI) -> list[tuple[int, str]]:
    runtime: ServiceRuntime = matcher.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.scalars(
            select(MatcherOutbox)
            .where(
                MatcherOutbox.topic == TOPIC_MATCHES_PRODUCED,
                MatcherOutbox.position > matcher.state.relayed_position,
            )
            .order_by(MatcherOutbox.position)
        )
        return [(row.position, row.body) for row in rows]


async def relay(matcher: FastAPI, reporting: FastAPI, *, expected: int = 1) -> None:
    """Apply the matcher's new `matches-produced` messages to the read model.

    The matcher commits an action after it has sent its response, so the outbox is
    polled for up to `RELAY_TIMEOUT_S` until it contains at least `expected` new
    messages. One action may publish several, for example an unmatch.
    """
    messages = await _new_messages(matcher)
    async with asyncio.timeout(RELAY_TIMEOUT_S):
        while len(messages) < expected:
            await asyncio.sleep(0.05)
            messages = await _new_messages(matcher)
    runtime: ServiceRuntime = reporting.state.runtime
    for position, body in messages:
        envelope = Envelope.model_validate_json(body)
        assert envelope.bank_id == reporting.state.settings.bank_id
        async with session_scope(runtime.sessions) as session:
            await handle_matches_produced(session, envelope)
        matcher.state.relayed_position = position


async def matcher_audit(matcher: FastAPI) -> list[tuple[str, str, str]]:
    """Return `(action, actor, outcome)` of each audit event in the matcher's outbox."""
    runtime: ServiceRuntime = matcher.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.scalars(
            select(MatcherOutbox)
            .where(MatcherOutbox.topic == "audit-events")
            .order_by(MatcherOutbox.position)
        )
        bodies = [json.loads(row.body)["data"] for row in rows]
    return [(body["action"], body["actor"], body["outcome"]) for body in bodies]


@asynccontextmanager
async def signed_in(app: FastAPI, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """Yield a client of `app` with a browser session of `username`."""
    async with make_client(app) as http:
        response = await login(http, username)
        assert response.status_code == 303, response.text
        yield http


def session_csrf(app: FastAPI, http: httpx.AsyncClient) -> str:
    """Return the CSRF token of the client's session, which forms would carry."""
    settings: ReportingSettings = app.state.settings
    cookie = http.cookies[SESSION_COOKIE]
    session_id = app.state.signer.read_session(
        cookie, max_age_s=settings.session_max_age_s
    )
    assert session_id is not None
    return csrf_token(settings.session_secret.get_secret_value(), session_id)


def csrf_of(page: httpx.Response) -> str:
    """Return the CSRF token that a page's forms carry."""
    found = CSRF_PATTERN.search(page.text)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


async def post_form(
    http: httpx.AsyncClient, path: str, data: dict[str, Any], *, token: str
) -> httpx.Response:
    """Post a page form with `token` and return the page its redirect leads to."""
    posted = await http.post(path, data={**data, "csrf_token": token})
    assert posted.status_code == 303, posted.text
    return await http.get(posted.headers["location"])


def flash_of(page: httpx.Response) -> str:
    """Return the text of the one-time message that a page shows."""
    found = re.search(r'<p id="flash"[^>]*>(.*?)</p>', page.text, re.DOTALL)
    assert found is not None, "the page shows no flash message"
    return found.group(1).strip()


@dataclass(frozen=True, slots=True)
class WorkedDay:
    """Ids of what `worked_day` set up in the matcher and the read model."""

    # Two open breaks of equal amount, ten days apart, so no pass matched them.
    open_statement: str
    open_ledger: str
    # A confirmed group of the exact pass and a proposed one of the tolerance pass.
    confirmed_group: str
    proposed_group: str
    # An open break with a pending write-off request that otto made.
    requested_break: str
    approval_id: str


async def _group_of(http: httpx.AsyncClient, transaction_id: str) -> str:
    page = await http.get("/api/v1/match-groups", auth=basic("vera"))
    for group in page.json()["items"]:
        if transaction_id in group["transaction_ids"]:
            return str(group["group_id"])
    raise AssertionError(f"no match group contains {transaction_id}")


@pytest.fixture
async def worked_day(live_matcher: FastAPI, operator_app: FastAPI) -> WorkedDay:
    """Match one day in the matcher, request one write-off, and relay the results."""
    await feed(
        live_matcher,
        "file-1",
        [
            item("s1", "10.00"),
            ledger("l1", "10.00", value_date=DAY + timedelta(days=10)),
            item("s2", "25.00", reference="R2"),
            ledger("l2", "25.00", reference="R2"),
            item("s3", "40.00"),
            ledger("l3", "40.50"),
            item("s4", "7.00"),
            # 7.00 less than s1, outside every tolerance, with no request on it.
            ledger("l4", "3.00"),
        ],
    )
    async with make_client(operator_app) as http:
        requested = await http.post(
            "/api/v1/breaks/s4/close-requests",
            json={"action": "write_off", "reason": "bank fee below threshold"},
            auth=basic("otto"),
        )
        assert requested.status_code == 201, requested.text
        await relay(live_matcher, operator_app, expected=2)
        confirmed = await _group_of(http, "s2")
        proposed = await _group_of(http, "s3")
    return WorkedDay(
        open_statement="s1",
        open_ledger="l1",
        confirmed_group=confirmed,
        proposed_group=proposed,
        requested_break="s4",
        approval_id=requested.json()["approval_id"],
    )
