"""Tests for notices whose event fields an attacker chose, and for send errors that
are not `DeliveryFailed`, against real local webhook, Slack and SMTP servers."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from recon_audit.alarms.notifiers import (
    AlarmNotice,
    escape_control_characters,
    escape_slack_text,
    slack_payload,
)
from recon_audit.models import AlarmDelivery
from recon_common.events import AuditOutcome
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from tests.audit.alarms.conftest import (
    AlarmHarness,
    SmtpServer,
    audit_envelope,
    audit_settings,
    harness_for,
    start_worker,
    wait_for,
)
from tests.audit.alarms.receivers import HttpReceiver

# The user name of an HTTP Basic sign-in is cut at the first colon, so this is what
# the journal stores for `y\nBcc: evil@example.org:password`.
HEADER_INJECTION_ACTOR = "y\nBcc"
SLACK_INJECTION_ACTOR = "<!channel> <http://127.0.0.1/x|reset here> & co"
# An out-of-range port makes httpx raise an ExceptionGroup, not an httpx.HTTPError.
BROKEN_URL = "http://127.0.0.1:99999/broken"


def _failed_signins_rules(
    receiver: HttpReceiver, *, extra_targets: dict[str, Any] | None = None
) -> dict[str, Any]:
    targets: dict[str, Any] = {
        "hook": {"type": "webhook", "url": receiver.url("/hook")},
        "slack": {"type": "slack", "url": receiver.url("/slack")},
        "mail": {"type": "email", "to": ["security@bank.example"]},
        **(extra_targets or {}),
    }
    return {
        "targets": targets,
        "rules": [
            {
                "name": "failed-signins",
                "match": {"actions": ["login"], "outcome": "failure"},
                "threshold": {"count": 3, "window": "10m", "group_by": ["actor"]},
                "severity": "high",
                "targets": list(targets),
            }
        ],
    }


async def _fail_signins(
    harness: AlarmHarness, *, actor: str, resource_id: str = "reporting"
) -> None:
    for _ in range(3):
        await harness.journal(
            audit_envelope(
                action="login",
                actor=actor,
                outcome=AuditOutcome.FAILURE,
                resource_id=resource_id,
            )
        )


async def _alarm_state_is(harness: AlarmHarness, state: str) -> bool:
    alarms = await harness.alarms()
    return bool(alarms) and alarms[0].delivery_state == state


def _notice(actor: str) -> AlarmNotice:
    return AlarmNotice(
        alarm_id=7,
        rule="failed-signins",
        severity="high",
        action="login",
        actor=actor,
        resource_type="session",
        resource_id="reporting",
        event_count=3,
        fired_at=datetime(2026, 12, 5, 7, 15, tzinfo=UTC),
        sequences=(1, 2, 3),
    )


async def test_line_break_in_actor_delivered_everywhere(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    harness = harness_for(sessions, tmp_path, _failed_signins_rules(http_receiver))
    settings = audit_settings(database_url, smtp_port=smtp_server.port)

    await _fail_signins(
        harness,
        actor=HEADER_INJECTION_ACTOR,
        resource_id="reporting\r\nX-Injected: 1",
    )
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _alarm_state_is(harness, "delivered"))
        finally:
            await worker.stop()
    deliveries = await harness.deliveries()
    message = smtp_server.inbox.messages[0]
    body = message.get_payload(decode=True)
    body_lines = body.decode().splitlines() if isinstance(body, bytes) else []
    webhook = http_receiver.accepted("/hook")
    slack_text = http_receiver.accepted("/slack")[0]["text"]

    assert [row.state for row in deliveries] == ["delivered"] * 3
    assert [row.attempts for row in deliveries] == [1, 1, 1]
    assert smtp_server.inbox.recipients == [["security@bank.example"]]
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert (
        message["Subject"] == "[HIGH] audit alarm failed-signins: 3 event(s), alarm 1"
    )
    assert "actor: y\\nBcc" in body_lines
    assert "resource_id: reporting\\r\\nX-Injected: 1" in body_lines
    assert len(webhook) == 1
    assert webhook[0]["actor"] == HEADER_INJECTION_ACTOR
    assert len(slack_text.splitlines()) == 4
    assert "y\\nBcc" in slack_text


async def test_unexpected_send_error_recorded_alone(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    harness = harness_for(
        sessions,
        tmp_path,
        {
            "targets": {
                "hook": {"type": "webhook", "url": http_receiver.url("/hook")},
                "broken": {"type": "webhook", "url": BROKEN_URL},
            },
            "builtin": {"permission_changes": {"targets": ["hook", "broken"]}},
        },
    )
    settings = audit_settings(database_url, alarm_delivery_max_attempts=2)

    await harness.journal(audit_envelope(action="key.disabled", resource_type="key"))
    with capture_logs() as logs:
        async with httpx.AsyncClient() as http:
            worker = start_worker(harness, settings, http)
            try:
                await wait_for(lambda: _alarm_state_is(harness, "failed"))
            finally:
                await worker.stop()
    hook, broken = await harness.deliveries()
    send_errors = [log for log in logs if log["event"] == "audit.alarm.send_error"]

    assert hook.state == "delivered"
    assert http_receiver.attempts("/hook") == 1
    assert broken.state == "failed"
    assert broken.attempts == 2
    assert broken.last_error is not None
    assert broken.last_error.startswith("unexpected ExceptionGroup: ")
    assert BROKEN_URL not in broken.last_error
    assert len(send_errors) == 2
    assert send_errors[0]["error_class"] == "ExceptionGroup"


async def test_used_up_attempts_fail_without_send(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    harness = harness_for(
        sessions,
        tmp_path,
        {
            "targets": {"hook": {"type": "webhook", "url": http_receiver.url("/hook")}},
            "builtin": {"permission_changes": {"targets": ["hook"]}},
        },
    )
    settings = audit_settings(database_url, alarm_delivery_max_attempts=3)
    await harness.journal(audit_envelope(action="key.disabled", resource_type="key"))
    # As after a worker that stopped between sending attempt 3 and recording it.
    async with sessions.begin() as session:
        await session.execute(update(AlarmDelivery).values(attempts=3))

    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _alarm_state_is(harness, "failed"))
        finally:
            await worker.stop()
    deliveries = await harness.deliveries()

    assert http_receiver.attempts("/hook") == 0
    assert deliveries[0].attempts == 3
    assert deliveries[0].state == "failed"
    assert deliveries[0].last_error == "no result was recorded for attempt 3 of 3"


async def test_slack_text_escapes_mention_and_link(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    harness = harness_for(sessions, tmp_path, _failed_signins_rules(http_receiver))
    settings = audit_settings(database_url, smtp_port=smtp_server.port)

    await _fail_signins(harness, actor=SLACK_INJECTION_ACTOR)
    async with httpx.AsyncClient() as http:
        worker = start_worker(harness, settings, http)
        try:
            await wait_for(lambda: _alarm_state_is(harness, "delivered"))
        finally:
            await worker.stop()
    text = http_receiver.accepted("/slack")[0]["text"]

    assert "<" not in text
    assert ">" not in text
    assert (
        "by &lt;!channel&gt; &lt;http://127.0.0.1/x|reset here&gt; &amp; co on" in text
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice", "alice"),
        ("y\nBcc: evil@example.org", "y\\nBcc: evil@example.org"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("next\x85line", "next\\x85line"),
        ("line\u2028sep", "line\\u2028sep"),
        ("admin\u202etxt.exe", "admin\\u202etxt.exe"),
        ("Zürich & <Ω>", "Zürich & <Ω>"),
    ],
)
def test_escape_control_characters_cases(text: str, expected: str) -> None:
    escaped = escape_control_characters(text)

    assert escaped == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<http://x|reset here>", "&lt;http://x|reset here&gt;"),
        ("a & b", "a &amp; b"),
        ("&lt;", "&amp;lt;"),
        ("x\ny", "x\\ny"),
    ],
)
def test_escape_slack_text_cases(text: str, expected: str) -> None:
    escaped = escape_slack_text(text)

    assert escaped == expected


def test_slack_payload_escapes_every_event_field() -> None:
    notice = replace(
        _notice("<!here>"), action="<a>", resource_type="<t>", resource_id="<@U123>"
    )

    text = slack_payload(notice)["text"]

    assert "<" not in text
    assert "last &lt;a&gt; by &lt;!here&gt; on &lt;t&gt; &lt;@U123&gt;" in text
