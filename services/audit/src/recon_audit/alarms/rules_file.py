"""Reading and validating the alarm rules file.

The file is YAML with three top-level keys, all optional: `targets` (named
notification destinations), `rules` (a list of rules) and `builtin` (settings of the
built-in rules). docs/alarms.md describes the format. Every problem is reported as an
`AlarmRulesError` whose message names the file, the rule and the field, so the service
stops at start-up instead of running with a rule that never fires.
"""

import os
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final, Self

import structlog
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from recon_common.events import AuditOutcome

from recon_audit.alarms.rules import (
    BUILTIN_PERMISSION_RULE,
    AlarmConfig,
    AlarmRule,
    Channel,
    GroupField,
    Severity,
    Target,
    Threshold,
    builtin_permission_rule,
)

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_DURATION_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NAME_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,99}$"
_EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+$"

log = structlog.get_logger(__name__)


class AlarmRulesError(ValueError):
    """The alarm rules file is missing, is not valid YAML, or breaks the format."""


def _parse_duration(value: Any) -> Any:
    """Turn `90s`, `10m`, `2h`, `1d` or a number of seconds into a timedelta."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return timedelta(seconds=value)
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found is None:
            raise ValueError(
                f"invalid duration {value!r}; write a whole number with a unit s, m, "
                "h or d, such as 10m"
            )
        return timedelta(seconds=int(found[1]) * _DURATION_UNITS[found[2]])
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]
Name = Annotated[str, Field(pattern=_NAME_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetSpec(_Strict):
    type: Channel
    url: str | None = Field(default=None, pattern=r"^https?://")
    # Name of an environment variable that contains the URL, so that a secret URL
    # such as a Slack incoming webhook stays out of the file.
    url_env: str | None = None
    to: list[Annotated[str, Field(pattern=_EMAIL_PATTERN)]] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _check_destination(self) -> Self:
        if self.type == Channel.EMAIL:
            if not self.to:
                raise ValueError("an email target needs `to`, a list of addresses")
            if self.url is not None or self.url_env is not None:
                raise ValueError("an email target takes `to`, not `url` or `url_env`")
            return self
        if (self.url is None) == (self.url_env is None):
            raise ValueError(
                f"a {self.type.value} target needs exactly one of `url` or `url_env`"
            )
        if self.to:
            raise ValueError(f"a {self.type.value} target takes a URL, not `to`")
        return self


class MatchSpec(_Strict):
    keywords: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    actions: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    outcome: AuditOutcome | None = None

    @model_validator(mode="after")
    def _check_not_empty(self) -> Self:
        if not self.keywords and not self.actions:
            raise ValueError("a match needs `keywords`, `actions` or both")
        return self


class ThresholdSpec(_Strict):
    count: int = Field(ge=2, le=10_000)
    window: Duration = Field(gt=timedelta(0), le=timedelta(days=31))
    group_by: list[GroupField] = Field(default_factory=list)


class RuleSpec(_Strict):
    name: Name
    match: MatchSpec
    threshold: ThresholdSpec | None = None
    severity: Severity = Severity.MEDIUM
    targets: list[str] = Field(default_factory=list)


class PermissionChangesSpec(_Strict):
    enabled: bool = True
    severity: Severity = Severity.CRITICAL
    targets: list[str] = Field(default_factory=list)


class BuiltinSpec(_Strict):
    permission_changes: PermissionChangesSpec = Field(
        default_factory=PermissionChangesSpec
    )


class RulesFileSpec(_Strict):
    targets: dict[Name, TargetSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    builtin: BuiltinSpec = Field(default_factory=BuiltinSpec)


def load_alarm_config(
    path: Path | None, *, environ: Mapping[str, str] | None = None
) -> AlarmConfig:
    """Read the rules file at `path`, or return the built-in rules when it is None.

    Log `audit.alarm_rules.loaded` with the path and the numbers of rules and targets.
    """
    if path is None:
        config = AlarmConfig(rules=(builtin_permission_rule(),), targets={})
        _log_loaded(config, path=None)
        return config
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlarmRulesError(
            f"alarm rules file {path} cannot be read ({exc.strerror}); fix "
            "AUDIT_ALARM_RULES_FILE or create the file"
        ) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AlarmRulesError(
            f"alarm rules file {path} is not valid YAML: {exc}"
        ) from exc
    config = parse_alarm_config(
        {} if document is None else document,
        source=str(path),
        environ=os.environ if environ is None else environ,
    )
    _log_loaded(config, path=path)
    return config


def _log_loaded(config: AlarmConfig, *, path: Path | None) -> None:
    # Target names only: a webhook or Slack URL may contain a secret.
    fields: dict[str, object] = {
        "path": None if path is None else str(path),
        "rules": len(config.rules),
        "targets": len(config.targets),
        "rule_names": [rule.name for rule in config.rules],
        "target_names": sorted(config.targets),
    }
    if path is None:
        fields["note"] = (
            "AUDIT_ALARM_RULES_FILE is not set, so only the built-in rule runs and "
            "its alarms send no notifications"
        )
    log.info("audit.alarm_rules.loaded", **fields)


def parse_alarm_config(
    document: Any, *, source: str, environ: Mapping[str, str]
) -> AlarmConfig:
    """Validate a parsed rules document and build the configuration it describes."""
    try:
        spec = RulesFileSpec.model_validate(document)
    except ValidationError as exc:
        problems = [_describe_error(document, error) for error in exc.errors()]
        raise AlarmRulesError(
            f"alarm rules file {source} is invalid: " + "; ".join(problems)
        ) from exc

    problems = _check_references(spec)
    targets: dict[str, Target] = {}
    for name, target_spec in spec.targets.items():
        target, problem = _build_target(name, target_spec, environ)
        if problem is not None:
            problems.append(problem)
        elif target is not None:
            targets[name] = target
    if problems:
        raise AlarmRulesError(
            f"alarm rules file {source} is invalid: " + "; ".join(problems)
        )

    rules: list[AlarmRule] = []
    builtin = spec.builtin.permission_changes
    if builtin.enabled:
        rules.append(
            builtin_permission_rule(
                severity=builtin.severity, targets=tuple(builtin.targets)
            )
        )
    rules.extend(_build_rule(rule) for rule in spec.rules)
    return AlarmConfig(rules=tuple(rules), targets=targets)


def _check_references(spec: RulesFileSpec) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for rule in spec.rules:
        if rule.name == BUILTIN_PERMISSION_RULE:
            problems.append(
                f"rule {rule.name!r}: name is reserved for the built-in rule; "
                "configure it under builtin.permission_changes"
            )
        if rule.name in seen:
            problems.append(f"rule {rule.name!r}: name is used by an earlier rule")
        seen.add(rule.name)
        problems += _unknown_targets(f"rule {rule.name!r}", rule.targets, spec)
    problems += _unknown_targets(
        "builtin.permission_changes", spec.builtin.permission_changes.targets, spec
    )
    return problems


def _unknown_targets(
    owner: str, names: Sequence[str], spec: RulesFileSpec
) -> list[str]:
    return [
        f"{owner}: targets: unknown target {name!r}; define it under `targets`"
        for name in names
        if name not in spec.targets
    ]


def _build_target(
    name: str, spec: TargetSpec, environ: Mapping[str, str]
) -> tuple[Target | None, str | None]:
    if spec.type == Channel.EMAIL:
        return Target(name=name, channel=spec.type, recipients=tuple(spec.to)), None
    url = spec.url
    if spec.url_env is not None:
        url = environ.get(spec.url_env, "").strip() or None
        if url is None:
            return None, (
                f"target {name!r}: url_env: environment variable {spec.url_env} is "
                "missing or empty; set it to the receiver's URL"
            )
        if not url.startswith(("http://", "https://")):
            return None, (
                f"target {name!r}: url_env: environment variable {spec.url_env} does "
                "not contain an http:// or https:// URL"
            )
    return Target(name=name, channel=spec.type, url=url), None


def _build_rule(spec: RuleSpec) -> AlarmRule:
    threshold = None
    if spec.threshold is not None:
        threshold = Threshold(
            count=spec.threshold.count,
            window=spec.threshold.window,
            group_by=tuple(spec.threshold.group_by),
        )
    return AlarmRule(
        name=spec.name,
        severity=spec.severity,
        keywords=tuple(keyword.lower() for keyword in spec.match.keywords),
        actions=frozenset(spec.match.actions),
        outcome=spec.match.outcome.value if spec.match.outcome else None,
        threshold=threshold,
        targets=tuple(spec.targets),
    )


def _describe_error(document: Any, error: Mapping[str, Any]) -> str:
    """Return "rule 'name': field.path: message" for one pydantic error."""
    location = list(error["loc"])
    owner = "file"
    if len(location) >= 2 and location[0] == "rules" and isinstance(location[1], int):
        owner = _rule_label(document, location[1])
        location = location[2:]
    elif len(location) >= 2 and location[0] == "targets":
        owner = f"target {location[1]!r}"
        location = location[2:]
    # Pydantic adds the validator's name ("function-after[...]") for model validators.
    fields = [str(part) for part in location if not str(part).startswith("function-")]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not fields:
        return f"{owner}: {message}"
    return f"{owner}: {'.'.join(fields)}: {message}"


def _rule_label(document: Any, index: int) -> str:
    name = None
    if isinstance(document, dict):
        rules = document.get("rules")
        if isinstance(rules, list) and index < len(rules):
            entry = rules[index]
            if isinstance(entry, dict):
                name = entry.get("name")
    if isinstance(name, str) and name:
        return f"rule {name!r} (rules[{index}])"
    return f"rules[{index}]"
