"""Tests for rule evaluation in the consumer handler, on SQLite and PostgreSQL."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recon_audit.alarms.rules import BUILTIN_PERMISSION_RULE
from recon_common.events import AuditOutcome
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.alarms.conftest import audit_envelope, harness_for

LOGIN_FAILURES = {
    "rules": [
        {
            "name": "repeated-login-failures",
            "match": {"actions": ["login"], "outcome": "failure"},
            "threshold": {"count": 5, "window": "10m", "group_by": ["actor"]},
            "severity": "high",
        }
    ]
}
START = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


async def test_keyword_rule_matches_detail_value(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(
        sessions,
        tmp_path,
        {"rules": [{"name": "rejected-files", "match": {"keywords": ["CHECKSUM"]}}]},
    )

    await harness.journal(
        audit_envelope(
            action="file.rejected",
            outcome=AuditOutcome.FAILURE,
            resource_type="file",
            details={"reason": "trailer checksum mismatch"},
        )
    )
    await harness.journal(
        audit_envelope(action="file.parsed", details={"reason": "ok"})
    )
    alarms = await harness.alarms()

    assert len(alarms) == 1
    assert alarms[0].rule_name == "rejected-files"
    assert alarms[0].action == "file.rejected"
    assert json.loads(alarms[0].sequences) == [1]


async def test_keyword_rule_matches_case_insensitive_action(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(
        sessions,
        tmp_path,
        {"rules": [{"name": "throttled", "match": {"keywords": ["Throttled"]}}]},
    )

    await harness.journal(audit_envelope(action="login.throttled"))
    alarms = await harness.alarms()

    assert [alarm.rule_name for alarm in alarms] == ["throttled"]


async def test_keyword_and_action_both_required(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(
        sessions,
        tmp_path,
        {
            "rules": [
                {
                    "name": "sftp-denied",
                    "match": {"actions": ["sftp.login"], "keywords": ["denied"]},
                }
            ]
        },
    )

    await harness.journal(audit_envelope(action="login", details={"why": "denied"}))
    await harness.journal(audit_envelope(action="sftp.login", details={"why": "ok"}))
    await harness.journal(
        audit_envelope(action="sftp.login", details={"why": "key denied"})
    )
    alarms = await harness.alarms()

    assert len(alarms) == 1
    assert json.loads(alarms[0].sequences) == [3]


async def test_count_rule_fires_once_at_threshold(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(sessions, tmp_path, LOGIN_FAILURES)
    alarm_counts = []

    for minute in range(6):
        await harness.journal(
            audit_envelope(
                action="login",
                outcome=AuditOutcome.FAILURE,
                occurred_at=START + timedelta(minutes=minute),
            )
        )
        alarm_counts.append(len(await harness.alarms()))
    alarms = await harness.alarms()

    assert alarm_counts == [0, 0, 0, 0, 1, 1]
    assert alarms[0].event_count == 5
    assert json.loads(alarms[0].sequences) == [1, 2, 3, 4, 5]
    assert alarms[0].severity == "high"


async def test_count_rule_ignores_events_outside_window(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(sessions, tmp_path, LOGIN_FAILURES)
    minutes = [0, 4, 6, 8, 11, 12]

    for minute in minutes:
        await harness.journal(
            audit_envelope(
                action="login",
                outcome=AuditOutcome.FAILURE,
                occurred_at=START + timedelta(minutes=minute),
            )
        )
    alarms = await harness.alarms()

    # The first five events span 11 minutes. The window of the event at minute 12
    # starts after minute 2, so it contains the five events from minute 4 on.
    assert len(alarms) == 1
    assert json.loads(alarms[0].sequences) == [2, 3, 4, 5, 6]


async def test_count_rule_counts_each_actor_apart(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(sessions, tmp_path, LOGIN_FAILURES)

    for minute in range(8):
        await harness.journal(
            audit_envelope(
                action="login",
                actor="alice" if minute % 2 else "bob",
                outcome=AuditOutcome.FAILURE,
                occurred_at=START + timedelta(minutes=minute),
            )
        )
    alarms = await harness.alarms()

    assert alarms == []


async def test_count_rule_skips_successful_logins(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(sessions, tmp_path, LOGIN_FAILURES)

    for minute in range(5):
        await harness.journal(
            audit_envelope(
                action="login",
                outcome=AuditOutcome.SUCCESS if minute == 2 else AuditOutcome.FAILURE,
                occurred_at=START + timedelta(minutes=minute),
            )
        )
    alarms = await harness.alarms()

    assert alarms == []


async def test_count_rule_state_survives_new_handler(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    first = harness_for(sessions, tmp_path, LOGIN_FAILURES)
    second = harness_for(sessions, tmp_path, LOGIN_FAILURES)

    for minute in range(3):
        await first.journal(
            audit_envelope(
                action="login",
                outcome=AuditOutcome.FAILURE,
                occurred_at=START + timedelta(minutes=minute),
            )
        )
    for minute in range(3, 5):
        await second.journal(
            audit_envelope(
                action="login",
                outcome=AuditOutcome.FAILURE,
                occurred_at=START + timedelta(minutes=minute),
            )
        )
    alarms = await second.alarms()

    assert len(alarms) == 1
    assert alarms[0].event_count == 5


async def test_builtin_rule_raises_on_key_disable(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(sessions, tmp_path, {})

    await harness.journal(
        audit_envelope(
            action="key.disabled",
            actor="security-admin",
            resource_type="bank_key",
            resource_id="key-1",
            details={"previous_state": "enabled"},
        )
    )
    await harness.journal(audit_envelope(action="login"))
    alarms = await harness.alarms()

    assert len(alarms) == 1
    assert alarms[0].rule_name == BUILTIN_PERMISSION_RULE
    assert alarms[0].severity == "critical"
    assert alarms[0].resource_id == "key-1"
    assert alarms[0].delivery_state == "no_targets"


async def test_builtin_rule_raises_on_grant_and_import(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(sessions, tmp_path, {})

    for action in ["grant.created", "grant.revoked", "key.material_imported"]:
        await harness.journal(audit_envelope(action=action, resource_type="grant"))
    alarms = await harness.alarms()

    assert [alarm.action for alarm in alarms] == [
        "grant.created",
        "grant.revoked",
        "key.material_imported",
    ]


async def test_builtin_rule_disabled_explicitly(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(
        sessions, tmp_path, {"builtin": {"permission_changes": {"enabled": False}}}
    )

    await harness.journal(audit_envelope(action="key.enabled"))
    alarms = await harness.alarms()

    assert alarms == []


async def test_alarm_commits_with_journal_entry(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    harness = harness_for(
        sessions,
        tmp_path,
        {
            "targets": {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/x"}},
            "builtin": {"permission_changes": {"targets": ["hook"]}},
        },
    )

    await harness.journal(audit_envelope(action="grant.created"))
    deliveries = await harness.deliveries()

    assert await harness.journal_size() == 1
    assert len(deliveries) == 1
    assert deliveries[0].state == "pending"
    assert deliveries[0].target_name == "hook"
