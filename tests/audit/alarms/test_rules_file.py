"""Tests for reading and validating the alarm rules file."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from recon_audit.alarms.rules import (
    BUILTIN_PERMISSION_RULE,
    PERMISSION_CHANGE_ACTIONS,
    Channel,
    GroupField,
    Severity,
)
from recon_audit.alarms.rules_file import (
    AlarmRulesError,
    load_alarm_config,
    parse_alarm_config,
)
from recon_audit.app import create_app
from recon_audit.settings import AuditSettings
from structlog.testing import capture_logs

from tests.audit.alarms.conftest import write_rules

VALID = {
    "targets": {
        "security-hook": {"type": "webhook", "url": "https://hooks.example/alarm"},
        "ops-slack": {"type": "slack", "url_env": "OPS_SLACK_URL"},
        "security-mail": {"type": "email", "to": ["security@bank.example"]},
    },
    "rules": [
        {
            "name": "repeated-login-failures",
            "match": {"actions": ["login", "sftp.login"], "outcome": "failure"},
            "threshold": {"count": 5, "window": "10m", "group_by": ["actor"]},
            "severity": "high",
            "targets": ["ops-slack", "security-mail"],
        }
    ],
    "builtin": {"permission_changes": {"targets": ["security-hook"]}},
}
ENVIRON = {"OPS_SLACK_URL": "https://slack.example/services/T/B/X"}


def _error(document: Any, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(AlarmRulesError) as caught:
        parse_alarm_config(
            document,
            source="rules.yaml",
            environ=ENVIRON if environ is None else environ,
        )
    return str(caught.value)


def test_parse_valid_file_builds_rules() -> None:
    config = parse_alarm_config(VALID, source="rules.yaml", environ=ENVIRON)

    builtin, login = config.rules
    assert builtin.name == BUILTIN_PERMISSION_RULE
    assert builtin.actions == PERMISSION_CHANGE_ACTIONS
    assert builtin.targets == ("security-hook",)
    assert login.name == "repeated-login-failures"
    assert login.severity == Severity.HIGH
    assert login.outcome == "failure"
    assert login.threshold is not None
    assert login.threshold.window == timedelta(minutes=10)
    assert login.threshold.group_by == (GroupField.ACTOR,)


def test_parse_url_env_resolved() -> None:
    config = parse_alarm_config(VALID, source="rules.yaml", environ=ENVIRON)

    slack = config.targets["ops-slack"]
    assert slack.channel == Channel.SLACK
    assert slack.url == ENVIRON["OPS_SLACK_URL"]
    assert config.targets["security-mail"].recipients == ("security@bank.example",)


def test_load_without_file_keeps_builtin_rule() -> None:
    config = load_alarm_config(None)

    assert [rule.name for rule in config.rules] == [BUILTIN_PERMISSION_RULE]
    assert config.targets == {}


def test_load_logs_path_and_counts(tmp_path: Path) -> None:
    path = write_rules(tmp_path, VALID)

    with capture_logs() as logs:
        load_alarm_config(path, environ=ENVIRON)
    loaded = [log for log in logs if log["event"] == "audit.alarm_rules.loaded"]

    assert len(loaded) == 1
    assert loaded[0]["log_level"] == "info"
    assert loaded[0]["path"] == str(path)
    assert loaded[0]["rules"] == 2
    assert loaded[0]["targets"] == 3
    assert loaded[0]["target_names"] == ["ops-slack", "security-hook", "security-mail"]
    assert "hooks.example" not in repr(logs)
    assert ENVIRON["OPS_SLACK_URL"] not in repr(logs)


def test_load_without_file_logs_builtin_only() -> None:
    with capture_logs() as logs:
        load_alarm_config(None)
    loaded = [log for log in logs if log["event"] == "audit.alarm_rules.loaded"]

    assert len(loaded) == 1
    assert loaded[0]["path"] is None
    assert loaded[0]["rules"] == 1
    assert loaded[0]["targets"] == 0
    assert "AUDIT_ALARM_RULES_FILE is not set" in loaded[0]["note"]


def test_load_empty_file_keeps_builtin_rule(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("", encoding="utf-8")

    config = load_alarm_config(path, environ={})

    assert [rule.name for rule in config.rules] == [BUILTIN_PERMISSION_RULE]


def test_builtin_disabled_only_when_file_says_so() -> None:
    config = parse_alarm_config(
        {"builtin": {"permission_changes": {"enabled": False}}},
        source="rules.yaml",
        environ={},
    )

    assert config.rules == ()


def test_load_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(AlarmRulesError) as caught:
        load_alarm_config(tmp_path / "absent.yaml", environ={})

    assert "absent.yaml" in str(caught.value)
    assert "AUDIT_ALARM_RULES_FILE" in str(caught.value)


def test_load_invalid_yaml_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [\n", encoding="utf-8")

    with pytest.raises(AlarmRulesError) as caught:
        load_alarm_config(path, environ={})

    assert "is not valid YAML" in str(caught.value)


@pytest.mark.parametrize(
    ("rule_change", "expected"),
    [
        ({"threshold": {"count": 1, "window": "10m"}}, "threshold.count"),
        ({"threshold": {"count": 5, "window": "ten minutes"}}, "invalid duration"),
        ({"threshold": {"count": 5, "window": "10m", "group_by": ["ip"]}}, "group_by"),
        ({"match": {}}, "a match needs `keywords`, `actions` or both"),
        ({"match": {"keywords": [""]}}, "match.keywords.0"),
        ({"severity": "urgent"}, "severity"),
        ({"targets": ["pager"]}, "unknown target 'pager'"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_rule_names_rule_and_field(
    rule_change: dict[str, Any], expected: str
) -> None:
    rule = {**VALID["rules"][0], **rule_change}  # type: ignore[index]
    document = {**VALID, "rules": [rule]}

    message = _error(document)

    assert "rules.yaml" in message
    assert "repeated-login-failures" in message
    assert expected in message


def test_duplicate_rule_name_rejected() -> None:
    rule = VALID["rules"][0]  # type: ignore[index]

    message = _error({**VALID, "rules": [rule, rule]})

    assert "rule 'repeated-login-failures': name is used by an earlier rule" in message


def test_reserved_rule_name_rejected() -> None:
    rule = {"name": BUILTIN_PERMISSION_RULE, "match": {"actions": ["login"]}}

    message = _error({"rules": [rule]})

    assert "reserved for the built-in rule" in message


def test_unnamed_rule_reported_by_index() -> None:
    message = _error({"rules": [{"match": {"actions": ["login"]}}]})

    assert "rules[0]: name: Field required" in message


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"type": "webhook"}, "exactly one of `url` or `url_env`"),
        ({"type": "slack", "url": "ftp://x"}, "url"),
        ({"type": "email"}, "an email target needs `to`"),
        ({"type": "email", "to": ["not-an-address"]}, "to.0"),
        ({"type": "pager", "url": "https://x"}, "type"),
    ],
)
def test_invalid_target_names_target_and_field(
    target: dict[str, Any], expected: str
) -> None:
    message = _error({"targets": {"broken": target}})

    assert "target 'broken'" in message
    assert expected in message


def test_url_env_missing_rejected() -> None:
    message = _error(VALID, environ={})

    assert "target 'ops-slack': url_env" in message
    assert "OPS_SLACK_URL is missing or empty" in message


def test_builtin_unknown_target_rejected() -> None:
    message = _error({"builtin": {"permission_changes": {"targets": ["nowhere"]}}})

    assert "builtin.permission_changes: targets: unknown target 'nowhere'" in message


def test_create_app_rejects_invalid_rules_file(tmp_path: Path) -> None:
    path = write_rules(tmp_path, {"rules": [{"name": "x", "match": {}}]})
    settings = AuditSettings(
        database_url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"),
        alarm_rules_file=path,
    )

    with pytest.raises(AlarmRulesError) as caught:
        create_app(settings)

    assert "rule 'x'" in str(caught.value)
