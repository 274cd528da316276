"""Operator actions from the reporting API to the matcher, both served by uvicorn."""

import asyncio
import secrets
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from recon_common.migrations import upgrade_async
from recon_common.runtime import ServiceRuntime
from recon_common.settings import Environment
from recon_matcher.app import create_app as create_matcher_app
from recon_matcher.models import OutboxMessage, ProcessedEvent
from recon_matcher.settings import MatcherSettings
from recon_reporting.actions.client import MatcherRejected
from recon_reporting.app import create_app as create_reporting_app
from recon_reporting.auth.passwords import hash_password
from recon_reporting.auth.roles import Role
from recon_reporting.auth.users import StoredUser, save_user
from recon_reporting.settings import ReportingSettings

from tests.reporting.conftest import PASSWORD, TEST_HASH_COST, basic

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "matcher" / "actions"))
from matcher_action_factories import (  # noqa: E402
    BANK_ID,
    RECONCILIATION_ID,
    definition,
    feed,
    item,
    ledger,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def serve(
    app: FastAPI, *, lifespan: str
) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan=lifespan, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    app.state.port = port
    return server, task


@pytest.fixture
async def matcher(tmp_path: Path) -> AsyncIterator[FastAPI]:
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
        settings=settings, outbox_model=OutboxMessage, processed_model=ProcessedEvent
    )
    app.state.runtime = runtime
    app.state.definitions = [definition()]
    server, task = await serve(app, lifespan="off")
    try:
        yield app
    finally:
        server.should_exit = True
        await task
        await runtime.stop()


@pytest.fixture
async def reporting(
    matcher: FastAPI, settings: ReportingSettings, users_file: Path
) -> AsyncIterator[httpx.AsyncClient]:
    save_user(
        users_file,
        StoredUser(
            username="anna",
            password_hash=hash_password(PASSWORD, n=TEST_HASH_COST),
            role=Role.APPROVER,
        ),
    )
    wired = settings.model_copy(
        update={
            "matcher_url": f"http://127.0.0.1:{matcher.state.port}",
            "service_token": matcher.state.settings.service_token,
        }
    )
    app = create_reporting_app(wired, start_kafka=False)
    server, task = await serve(app, lifespan="on")
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{app.state.port}"
        ) as http:
            yield http
    finally:
        server.should_exit = True
        await task


async def test_reporting_manual_match_reaches_matcher(
    matcher: FastAPI, reporting: httpx.AsyncClient
) -> None:
    await feed(matcher, "file-1", [item("s1", "10.00"), ledger("l1", "50.00")])
    await feed(matcher, "file-2", [ledger("l2", "99.00")])

    viewer = await reporting.post(
        f"/api/v1/reconciliations/{RECONCILIATION_ID}/manual-matches",
        json={"transaction_ids": ["s1", "l2"], "reason": "x"},
        auth=basic("vera"),
    )
    outside = await reporting.post(
        f"/api/v1/reconciliations/{RECONCILIATION_ID}/manual-matches",
        json={"transaction_ids": ["s1", "l2"], "reason": "same payer"},
        auth=basic("otto"),
    )

    assert viewer.status_code == 403
    assert outside.status_code == 422
    assert outside.json()["error"] == "OutsideTolerance"


async def test_reporting_four_eyes_write_off(
    matcher: FastAPI, reporting: httpx.AsyncClient
) -> None:
    await feed(matcher, "file-1", [item("s1", "10.00")])
    requested = await reporting.post(
        "/api/v1/breaks/s1/close-requests",
        json={"action": "write_off", "reason": "fee below threshold"},
        auth=basic("otto"),
    )
    approval_id = requested.json()["approval_id"]

    own = await reporting.post(
        f"/api/v1/approvals/{approval_id}/approve", json={}, auth=basic("otto")
    )
    other = await reporting.post(
        f"/api/v1/approvals/{approval_id}/approve", json={}, auth=basic("anna")
    )

    assert requested.status_code == 201
    assert own.status_code == 403
    assert "four-eyes" in own.json()["detail"]
    assert other.json()["state"] == "approved"


async def test_reporting_rerun_dry_run_reaches_matcher(
    matcher: FastAPI, reporting: httpx.AsyncClient
) -> None:
    await feed(matcher, "file-1", [item("s1", "10.00"), ledger("l1", "10.00")])
    day = item("s1", "10.00").value_date.isoformat()

    response = await reporting.post(
        f"/api/v1/reconciliations/{RECONCILIATION_ID}/rerun",
        params={"from": day, "to": day},
        auth=basic("otto"),
    )

    body = response.json()
    assert response.status_code == 200
    assert body["dry_run"] is True
    assert body["value_date_from"] == day
    assert body["value_date_to"] == day


def test_matcher_server_error_becomes_bad_gateway() -> None:
    rejected = MatcherRejected(500, "", "Internal Server Error")

    assert rejected.status_code == 502
    assert rejected.error == "MatcherRejected"
    assert rejected.detail == (
        "the matcher failed with status 500 (Internal Server Error); see the "
        "matcher's log, then try again"
    )
