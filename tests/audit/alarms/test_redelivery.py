"""Tests for deliveries whose target left the rules file, and for
`POST /v1/alarms/{alarm_id}/redeliver`, on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from recon_audit.alarms.delivery import AlarmDeliveryWorker
from recon_audit.alarms.notifiers import Notifier
from recon_audit.app import create_app
from recon_audit.models import OutboxMessage, ProcessedEvent
from recon_audit.settings import AuditSettings
from recon_common.runtime import ServiceRuntime, attach_runtime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from tests.audit.alarms.conftest import (
    AlarmHarness,
    audit_envelope,
    audit_settings,
    harness_for,
    write_rules,
)
from tests.audit.alarms.receivers import HttpReceiver


def _rules(receiver: HttpReceiver, *targets: str) -> dict[str, Any]:
    """Return rules whose built-in rule notifies `targets`, all on `receiver`."""
    return {
        "targets": {
            name: {"type": "webhook", "url": receiver.url(f"/{name}")}
            for name in targets
        },
        "builtin": {"permission_changes": {"targets": list(targets)}},
    }


def _worker(
    harness: AlarmHarness,
    settings: AuditSettings,
    http: httpx.AsyncClient,
    **options: Any,
) -> AlarmDeliveryWorker:
    return AlarmDeliveryWorker(
        sessions=harness.sessions,
        config=harness.config,
        settings=settings,
        notifier=Notifier(settings=settings, http=http),
        **options,
    )


async def _key_disabled(harness: AlarmHarness) -> None:
    await harness.journal(audit_envelope(action="key.disabled", resource_type="key"))


async def test_unknown_target_delivery_stays_pending(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    before = harness_for(sessions, tmp_path, _rules(http_receiver, "hook"))
    without_hook = harness_for(sessions, tmp_path, {})
    settings = audit_settings(database_url)
    await _key_disabled(before)

    async with httpx.AsyncClient() as http:
        worker = _worker(without_hook, settings, http)
        with capture_logs() as logs:
            handled = [await worker.deliver_due() for _ in range(3)]
            unknown = await worker.warn_unknown_targets()
    deliveries = await without_hook.deliveries()
    alarms = await without_hook.alarms()
    warnings = [log for log in logs if log["event"] == "audit.alarm.target_unknown"]

    assert handled == [0, 0, 0]
    assert deliveries[0].state == "pending"
    assert deliveries[0].attempts == 0
    assert deliveries[0].last_error is None
    assert alarms[0].delivery_state == "pending"
    assert unknown == {"hook": 1}
    assert len(warnings) == 1
    assert warnings[0]["target"] == "hook"
    assert warnings[0]["log_level"] == "warning"
    assert http_receiver.attempts("/hook") == 0


async def test_unknown_target_sent_after_restart(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    rules = _rules(http_receiver, "hook")
    before = harness_for(sessions, tmp_path, rules)
    without_hook = harness_for(sessions, tmp_path, {})
    restored = harness_for(sessions, tmp_path, rules)
    settings = audit_settings(database_url)
    await _key_disabled(before)

    async with httpx.AsyncClient() as http:
        await _worker(without_hook, settings, http).deliver_due()
        handled = await _worker(restored, settings, http).deliver_due()
    deliveries = await restored.deliveries()
    alarms = await restored.alarms()

    assert handled == 1
    assert deliveries[0].state == "delivered"
    assert deliveries[0].attempts == 1
    assert alarms[0].delivery_state == "delivered"
    assert len(http_receiver.accepted("/hook")) == 1


async def test_unknown_target_failed_after_max_age(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    before = harness_for(sessions, tmp_path, _rules(http_receiver, "hook"))
    renamed = harness_for(sessions, tmp_path, _rules(http_receiver, "soc-hook"))
    settings = audit_settings(database_url)
    await _key_disabled(before)

    async with httpx.AsyncClient() as http:
        worker = _worker(
            renamed, settings, http, unknown_target_max_age=timedelta(seconds=0)
        )
        handled = await worker.deliver_due()
    deliveries = await renamed.deliveries()
    alarms = await renamed.alarms()

    assert handled == 1
    assert deliveries[0].state == "failed"
    assert deliveries[0].attempts == 0
    assert deliveries[0].last_error == (
        "target 'hook' was missing from the alarm rules file for more than 0 hours "
        "after the alarm was raised"
    )
    assert alarms[0].delivery_state == "failed"
    assert http_receiver.attempts("/hook") == 0


async def test_unknown_targets_do_not_fill_batch(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    old = harness_for(sessions, tmp_path, _rules(http_receiver, "gone"))
    current = harness_for(sessions, tmp_path, _rules(http_receiver, "hook"))
    settings = audit_settings(database_url)
    # More pending rows of the unknown target than one batch claims (20).
    for _ in range(25):
        await _key_disabled(old)
    await _key_disabled(current)

    async with httpx.AsyncClient() as http:
        handled = await _worker(current, settings, http).deliver_due()

    assert handled == 1
    assert len(http_receiver.accepted("/hook")) == 1


@pytest.fixture
def rules_path(tmp_path: Path, http_receiver: HttpReceiver) -> Path:
    return write_rules(tmp_path, _rules(http_receiver, "hook"))


@pytest.fixture
def settings(database_url: str, rules_path: Path) -> AuditSettings:
    return audit_settings(
        database_url, alarm_rules_file=rules_path, alarm_delivery_max_attempts=1
    )


@pytest.fixture
async def client(settings: AuditSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Serve the audit app without its lifespan, so Kafka does not start."""
    application: FastAPI = create_app(settings)
    runtime = ServiceRuntime(
        settings=settings, outbox_model=OutboxMessage, processed_model=ProcessedEvent
    )
    attach_runtime(application, runtime)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://audit"
        ) as http:
            yield http
    finally:
        await runtime.stop()


def _bearer(settings: AuditSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.service_token.get_secret_value()}"}


async def _failed_alarm(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    receiver: HttpReceiver,
    settings: AuditSettings,
    *targets: str,
) -> AlarmHarness:
    """Raise one alarm whose deliveries to `targets` fail at their only attempt."""
    harness = harness_for(sessions, tmp_path, _rules(receiver, *targets))
    receiver.statuses = [503] * len(targets)
    await _key_disabled(harness)
    async with httpx.AsyncClient() as http:
        await _worker(harness, settings, http).deliver_due()
    return harness


async def test_redeliver_requeues_failed_delivery(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    http_receiver: HttpReceiver,
    settings: AuditSettings,
    client: httpx.AsyncClient,
) -> None:
    harness = await _failed_alarm(sessions, tmp_path, http_receiver, settings, "hook")
    failed = await harness.deliveries()

    response = await client.post("/v1/alarms/1/redeliver", headers=_bearer(settings))
    body = response.json()
    requeued = await harness.deliveries()
    async with httpx.AsyncClient() as http:
        await _worker(harness, settings, http).deliver_due()
    delivered = await harness.deliveries()
    alarms = await harness.alarms()

    assert failed[0].state == "failed"
    assert response.status_code == 200
    assert body["requeued"] == ["hook"]
    assert body["not_configured"] == []
    assert body["alarm"]["delivery_state"] == "pending"
    assert body["alarm"]["deliveries"][0]["state"] == "pending"
    assert requeued[0].state == "pending"
    assert requeued[0].attempts == 0
    assert delivered[0].state == "delivered"
    assert delivered[0].attempts == 1
    assert alarms[0].delivery_state == "delivered"
    assert len(http_receiver.accepted("/hook")) == 1


async def test_redeliver_keeps_unconfigured_target_failed(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    http_receiver: HttpReceiver,
    settings: AuditSettings,
    client: httpx.AsyncClient,
) -> None:
    # The app's rules file defines only `hook`.
    await _failed_alarm(sessions, tmp_path, http_receiver, settings, "hook", "old-hook")

    response = await client.post("/v1/alarms/1/redeliver", headers=_bearer(settings))
    body = response.json()
    states = {row["target"]: row["state"] for row in body["alarm"]["deliveries"]}

    assert response.status_code == 200
    assert body["requeued"] == ["hook"]
    assert body["not_configured"] == ["old-hook"]
    assert states == {"hook": "pending", "old-hook": "failed"}
    assert body["alarm"]["delivery_state"] == "pending"


async def test_redeliver_without_failed_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    http_receiver: HttpReceiver,
    settings: AuditSettings,
    client: httpx.AsyncClient,
) -> None:
    harness = harness_for(sessions, tmp_path, _rules(http_receiver, "hook"))
    await _key_disabled(harness)
    async with httpx.AsyncClient() as http:
        await _worker(harness, settings, http).deliver_due()

    response = await client.post("/v1/alarms/1/redeliver", headers=_bearer(settings))
    body = response.json()

    assert response.status_code == 200
    assert body["requeued"] == []
    assert body["alarm"]["delivery_state"] == "delivered"
    assert len(http_receiver.accepted("/hook")) == 1


async def test_redeliver_unknown_alarm_not_found(
    settings: AuditSettings, client: httpx.AsyncClient
) -> None:
    response = await client.post("/v1/alarms/99/redeliver", headers=_bearer(settings))

    assert response.status_code == 404
    assert response.json()["error"] == "AlarmNotFound"


async def test_redeliver_without_token_rejected(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    http_receiver: HttpReceiver,
    settings: AuditSettings,
    client: httpx.AsyncClient,
) -> None:
    harness = await _failed_alarm(sessions, tmp_path, http_receiver, settings, "hook")

    response = await client.post("/v1/alarms/1/redeliver")
    deliveries = await harness.deliveries()

    assert response.status_code == 401
    assert response.json()["error"] == "InvalidServiceToken"
    assert deliveries[0].state == "failed"
