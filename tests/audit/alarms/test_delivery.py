"""Tests for notification delivery to real local webhook, Slack and SMTP servers."""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
from recon_common.events import AuditOutcome
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.alarms.conftest import (
    SECRET_ACCOUNT,
    AlarmHarness,
    SmtpServer,
    audit_envelope,
    audit_settings,
    harness_for,
    start_worker,
    wait_for,
)
from tests.audit.alarms.receivers import HttpReceiver

EXPECTED_WEBHOOK_FIELDS = {
    "alarm_id",
    "rule",
    "severity",
    "action",
    "actor",
    "resource_type",
    "resource_id",
    "count",
    "time",
    "sequences",
}


def _rules(receiver: HttpReceiver, *, email_port: int | None = None) -> dict[str, Any]:
    targets: dict[str, Any] = {
        "hook": {"type": "webhook", "url": receiver.url("/hook")},
        "slack": {"type": "slack", "url_env": "TEST_SLACK_URL"},
    }
    rule_targets = ["hook", "slack"]
    if email_port is not None:
        targets["mail"] = {"type": "email", "to": ["security@bank.example"]}
        rule_targets.append("mail")
    return {
        "targets": targets,
        "rules": [
            {
                "name": "rejected-statements",
                "match": {"keywords": ["rejected"]},
                "severity": "high",
                "targets": rule_targets,
            }
        ],
        "builtin": {"permission_changes": {"targets": ["hook"]}},
    }


def _harness(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    receiver: HttpReceiver,
    *,
    email_port: int | None = None,
) -> AlarmHarness:
    return harness_for(
        sessions,
        tmp_path,
        _rules(receiver, email_port=email_port),
        environ={"TEST_SLACK_URL": receiver.url("/slack")},
    )


async def _rejected_file(harness: AlarmHarness) -> None:
    await harness.journal(
        audit_envelope(
            action="file.rejected",
            actor="ingest",
            outcome=AuditOutcome.FAILURE,
            resource_type="file",
            resource_id="file-7",
            details={"account": SECRET_ACCOUNT, "reason": "statement rejected"},
        )
    )


async def test_webhook_and_slack_delivered(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    harness = _harness(sessions, tmp_path, http_receiver)
    settings = audit_settings(database_url)

    await _rejected_file(harness)
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _states_are(harness, {"delivered"}), timeout_s=10.0)
        finally:
            await worker.stop()
    webhook = http_receiver.accepted("/hook")
    slack = http_receiver.accepted("/slack")
    alarms = await harness.alarms()

    assert len(webhook) == 1
    assert set(webhook[0]) == EXPECTED_WEBHOOK_FIELDS
    assert webhook[0]["rule"] == "rejected-statements"
    assert webhook[0]["severity"] == "high"
    assert webhook[0]["actor"] == "ingest"
    assert webhook[0]["resource_id"] == "file-7"
    assert webhook[0]["count"] == 1
    assert webhook[0]["sequences"] == [1]
    assert len(slack) == 1
    assert set(slack[0]) == {"text"}
    assert "rejected-statements" in slack[0]["text"]
    assert alarms[0].delivery_state == "delivered"


async def test_payloads_carry_no_detail_values(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    harness = _harness(sessions, tmp_path, http_receiver, email_port=smtp_server.port)
    settings = audit_settings(database_url, smtp_port=smtp_server.port)

    await _rejected_file(harness)
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _states_are(harness, {"delivered"}))
        finally:
            await worker.stop()
    sent = [*http_receiver.raw_bodies, *smtp_server.inbox.raw]

    assert len(sent) == 3
    for body in sent:
        assert SECRET_ACCOUNT.encode() not in body
        assert b"statement rejected" not in body


async def test_email_delivered_over_smtp(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    harness = _harness(sessions, tmp_path, http_receiver, email_port=smtp_server.port)
    settings = audit_settings(
        database_url, smtp_port=smtp_server.port, smtp_sender="audit@bank.example"
    )

    await _rejected_file(harness)
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _states_are(harness, {"delivered"}))
        finally:
            await worker.stop()
    inbox = smtp_server.inbox
    message = inbox.messages[0]
    body = message.get_payload(decode=True)

    assert len(inbox.messages) == 1
    assert inbox.recipients == [["security@bank.example"]]
    assert message["From"] == "audit@bank.example"
    assert "[HIGH] audit alarm rejected-statements" in message["Subject"]
    assert isinstance(body, bytes)
    assert b"sequences: [1]" in body


async def test_failing_receiver_retried_then_delivered_once(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.statuses = [500, 503]
    harness = harness_for(
        sessions,
        tmp_path,
        {
            "targets": {"hook": {"type": "webhook", "url": http_receiver.url("/hook")}},
            "builtin": {"permission_changes": {"targets": ["hook"]}},
        },
    )
    settings = audit_settings(database_url)

    await harness.journal(audit_envelope(action="grant.revoked", resource_type="grant"))
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _states_are(harness, {"delivered"}))
            # Give the worker time to send a duplicate, if it would.
            await asyncio.sleep(0.5)
        finally:
            await worker.stop()
    deliveries = await harness.deliveries()

    assert http_receiver.attempts("/hook") == 3
    assert len(http_receiver.accepted("/hook")) == 1
    assert deliveries[0].attempts == 3
    assert deliveries[0].state == "delivered"
    assert deliveries[0].last_error is None


async def test_receiver_down_marked_failed_after_last_attempt(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.statuses = [500] * 10
    harness = harness_for(
        sessions,
        tmp_path,
        {
            "targets": {"hook": {"type": "webhook", "url": http_receiver.url("/hook")}},
            "builtin": {"permission_changes": {"targets": ["hook"]}},
        },
    )
    settings = audit_settings(database_url, alarm_delivery_max_attempts=3)

    await harness.journal(audit_envelope(action="key.disabled"))
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _states_are(harness, {"failed"}))
        finally:
            await worker.stop()
    deliveries = await harness.deliveries()
    alarms = await harness.alarms()

    assert http_receiver.attempts("/hook") == 3
    assert deliveries[0].last_error == "receiver returned HTTP 500"
    assert alarms[0].delivery_state == "failed"


async def test_pending_delivery_survives_restart(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    harness = _harness(sessions, tmp_path, http_receiver)
    restarted = _harness(sessions, tmp_path, http_receiver)
    settings = audit_settings(database_url)

    # No worker runs while the event is journaled, as after a crash.
    await _rejected_file(harness)
    async with httpx.AsyncClient() as http:
        worker = start_worker(restarted, settings, http)
        try:
            await wait_for(lambda: _states_are(restarted, {"delivered"}))
        finally:
            await worker.stop()

    assert len(http_receiver.accepted("/hook")) == 1
    assert len(http_receiver.accepted("/slack")) == 1


async def test_slow_receiver_does_not_stall_journaling(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.delay_s = 2.0
    harness = _harness(sessions, tmp_path, http_receiver)
    settings = audit_settings(database_url)

    await _rejected_file(harness)
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _receiver_busy(http_receiver))
            started = time.monotonic()
            for _ in range(5):
                await harness.journal(audit_envelope(action="login"))
            elapsed = time.monotonic() - started
            await wait_for(lambda: _states_are(harness, {"delivered"}))
        finally:
            await worker.stop()

    assert elapsed < 1.5
    assert await harness.journal_size() == 6


async def _states_are(harness: AlarmHarness, states: set[str]) -> bool:
    alarms = await harness.alarms()
    return bool(alarms) and {alarm.delivery_state for alarm in alarms} == states


async def _receiver_busy(receiver: HttpReceiver) -> bool:
    return receiver.arrivals > 0
