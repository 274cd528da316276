"""Alarm rules and notification targets as the evaluator uses them.

`rules_file.load_alarm_config` builds an `AlarmConfig` from the YAML file named by
`AUDIT_ALARM_RULES_FILE`. The built-in `permission-changes` rule is part of every
configuration unless the file sets `builtin.permission_changes.enabled: false`.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Final

from recon_audit.models import JournalEntry

BUILTIN_PERMISSION_RULE: Final = "permission-changes"

# Audit actions that change who may do what, or the state of a bank's key. The key
# broker emits the `grant.*` and `key.*` actions (key.enabled and key.disabled come
# from its key state names). The reporting service emits `sessions.revoked` when an
# administrator signs a user out.
# NOTE: reporting users and their roles live in a file that no service audits yet, so
# `user.created`, `user.deleted` and `user.role_changed` are reserved names that no
# service emits today.
PERMISSION_CHANGE_ACTIONS: Final = frozenset(
    {
        "grant.created",
        "grant.revoked",
        "key.created",
        "key.enabled",
        "key.disabled",
        "key.deletion_scheduled",
        "key.deletion_cancelled",
        "key.material_imported",
        "sessions.revoked",
        "user.created",
        "user.deleted",
        "user.role_changed",
    }
)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Channel(StrEnum):
    WEBHOOK = "webhook"
    SLACK = "slack"
    EMAIL = "email"


class GroupField(StrEnum):
    """A journal field whose value splits the events of a count rule into groups."""

    ACTOR = "actor"
    ACTION = "action"
    SOURCE = "source"
    RESOURCE_TYPE = "resource_type"
    RESOURCE_ID = "resource_id"


@dataclass(frozen=True)
class Target:
    """A notification destination: a URL for webhook and Slack, addresses for email."""

    name: str
    channel: Channel
    url: str | None = field(default=None, repr=False)
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Threshold:
    """Fire when `count` matching events of one group occur within `window`."""

    count: int
    window: timedelta
    group_by: tuple[GroupField, ...] = ()


@dataclass(frozen=True)
class AlarmRule:
    name: str
    severity: Severity
    # Lower-case keywords, any of which must occur in the action, outcome, resource
    # type or a detail value. Empty means no keyword condition.
    keywords: tuple[str, ...] = ()
    # Exact action names, one of which the event must have. Empty means any action.
    actions: frozenset[str] = frozenset()
    outcome: str | None = None
    threshold: Threshold | None = None
    targets: tuple[str, ...] = ()

    def matches(self, entry: JournalEntry) -> bool:
        """Return whether a journal entry meets every condition of the rule."""
        if self.actions and entry.action not in self.actions:
            return False
        if self.outcome is not None and entry.outcome != self.outcome:
            return False
        if not self.keywords:
            return True
        texts = [entry.action, entry.outcome, entry.resource_type]
        texts += _detail_values(entry)
        haystack = [text.lower() for text in texts]
        return any(keyword in text for keyword in self.keywords for text in haystack)

    def group_key(self, entry: JournalEntry) -> str:
        """Return the SHA-256 of the group values that `entry` counts towards.

        A hash keeps the column short whatever the length of actor or resource ids.
        """
        group_by = self.threshold.group_by if self.threshold is not None else ()
        values = {name.value: getattr(entry, name.value) for name in group_by}
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class AlarmConfig:
    """The rules in evaluation order and the targets they name."""

    rules: tuple[AlarmRule, ...]
    targets: dict[str, Target]


def builtin_permission_rule(
    *, severity: Severity = Severity.CRITICAL, targets: tuple[str, ...] = ()
) -> AlarmRule:
    """Return the rule that raises an alarm on every permission or key change."""
    return AlarmRule(
        name=BUILTIN_PERMISSION_RULE,
        severity=severity,
        actions=PERMISSION_CHANGE_ACTIONS,
        targets=targets,
    )


def _detail_values(entry: JournalEntry) -> list[str]:
    details = json.loads(entry.details)
    if not isinstance(details, dict):
        return []
    return [str(value) for value in details.values()]
