"""Text and tables of the definition pages: YAML, pass summaries and problems.

Definitions list the bank's account numbers (`side_a.accounts`, `side_b.accounts`
and `account_pairs`). They are shown as on every other page: roles outside
`UNREDACTED_ROLES` see them redacted, and the others see them in full, which the
page audits as a `sensitive.read`. Text with redacted values must not be saved,
because the mask would replace the account number in the new version.

The matcher words its save errors for API callers. `describe_rejection` and
`describe_conflict` reword the parts that only make sense there (an API path,
pydantic's union tag messages, the "request body" prefix) for a person who typed
the text into the edit page.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import yaml

from recon_reporting.access.redaction import MASK, AccountMasker
from recon_reporting.definitions.schemas import DefinitionVersion

# Keys written first, in this order, when a stored body is written as YAML. The
# stored body has its keys sorted, which puts `account_pairs` before `id`.
_DEFINITION_KEYS: Final = (
    "id",
    "name",
    "bank_id",
    "side_a",
    "side_b",
    "account_pairs",
    "side_b_sign",
    "passes",
)
_SIDE_KEYS: Final = ("record_kind", "accounts", "account_pattern", "currencies")
_PASS_KEYS: Final = ("name", "kind")
# The field of `AccountMasker.revealed` under which full account numbers are recorded.
ACCOUNTS_FIELD: Final = "accounts"


@dataclass(frozen=True, slots=True)
class PassSummary:
    """One pass of a definition as a row of the passes table, each cell as text."""

    name: str
    kind: str
    match_on: str
    tolerance: str
    date_window: str
    grouping: str
    thresholds: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason why a save failed: the key path of the value and the fix."""

    path: str
    message: str


def _ordered(mapping: dict[str, Any], first: Iterable[str]) -> dict[str, Any]:
    ordered = {key: mapping[key] for key in first if key in mapping}
    ordered.update((key, value) for key, value in mapping.items() if key not in ordered)
    return ordered


def definition_yaml(body: dict[str, Any]) -> str:
    """Write a stored definition body as YAML, with its id, name and sides first."""
    document = _ordered(body, _DEFINITION_KEYS)
    for side in ("side_a", "side_b"):
        if isinstance(document.get(side), dict):
            document[side] = _ordered(document[side], _SIDE_KEYS)
    passes = document.get("passes")
    if isinstance(passes, list):
        document["passes"] = [
            _ordered(item, _PASS_KEYS) if isinstance(item, dict) else item
            for item in passes
        ]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def account_values(body: dict[str, Any]) -> list[str]:
    """Return the account numbers that a stored definition body lists."""
    found: set[str] = set()
    for side in ("side_a", "side_b"):
        accounts = body.get(side, {}).get("accounts", [])
        found.update(value for value in accounts if isinstance(value, str))
    for pair in body.get("account_pairs", []):
        for key in ("side_a", "side_b", "key"):
            value = pair.get(key)
            if isinstance(value, str):
                found.add(value)
    return sorted(value for value in found if value.strip())


def _account_pattern(account: str) -> re.Pattern[str]:
    # The matcher stores accounts upper-cased without spaces, but a text may write
    # them in groups ("NL91 ABNA ...") or in lower case.
    characters = [
        re.escape(character) for character in account if not character.isspace()
    ]
    body = r"[ \t]*".join(characters)
    return re.compile(rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])", re.IGNORECASE)


def mask_accounts(
    text: str, *, accounts: Iterable[str], masker: AccountMasker, resource_id: str
) -> str:
    """Replace each of `accounts` in `text` with what `masker` lets the user see."""
    for account in sorted(accounts, key=len, reverse=True):
        visible = masker.show(account, resource_id=resource_id, field=ACCOUNTS_FIELD)
        if visible is None or visible == account:
            continue
        text = _account_pattern(account).sub(visible, text)
    return text


def displayed_yaml(version: DefinitionVersion, *, masker: AccountMasker) -> str:
    """Return the version's YAML as the user may see it.

    Users who see account numbers in full get the text as it was saved, comments
    included. Others get the stored body written as YAML with the accounts
    redacted, because a comment may spell an account number in a form that
    `mask_accounts` does not find.
    """
    accounts = account_values(version.definition)
    if masker.unredacted:
        for account in accounts:
            masker.show(
                account, resource_id=version.definition_id, field=ACCOUNTS_FIELD
            )
        if version.source_format == "yaml":
            return version.source
        return definition_yaml(version.definition)
    return mask_accounts(
        definition_yaml(version.definition),
        accounts=accounts,
        masker=masker,
        resource_id=version.definition_id,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {_text(item)}" for key, item in value.items())
    return str(value)


def _match_on(item: dict[str, Any]) -> str:
    kind = item.get("kind")
    if kind == "exact":
        return _text(item.get("fields"))
    if kind == "fuzzy":
        similarity = _text(item.get("similarity")).replace("_", "-")
        minimum = _text(item.get("min_similarity"))
        return f"reference ({similarity} similarity at least {minimum})"
    if kind == "tolerance":
        return "currency and account, amount and date within the limits"
    return ""


def _tolerance(item: dict[str, Any]) -> str:
    if "amount_tolerance" not in item:
        return "none"
    parts = [_text(item["amount_tolerance"])]
    if item.get("amount_tolerance_percent") is not None:
        parts.append(f"or {_text(item['amount_tolerance_percent'])} % of side A")
    currencies = item.get("currency_tolerances") or {}
    if currencies:
        parts.append(f"({_text(currencies)})")
    if item.get("inclusive") is False:
        parts.append("exclusive")
    return " ".join(parts)


def _date_window(item: dict[str, Any]) -> str:
    window = item.get("date_window")
    days = item.get("date_window_days")
    if isinstance(window, dict):
        text = (
            f"{_text(window.get('days_before'))} days before, "
            f"{_text(window.get('days_after'))} days after"
        )
    elif days is not None:
        text = f"± {_text(days)} days"
    elif "date_a" in item:
        text = "same day"
    elif "value_date" in (item.get("fields") or []):
        return "same value date"
    else:
        return "any"
    date_a = _text(item.get("date_a", "value_date"))
    date_b = _text(item.get("date_b", "value_date"))
    if (date_a, date_b) != ("value_date", "value_date"):
        text += f" (side A {date_a}, side B {date_b})"
    return text


def _grouping(item: dict[str, Any]) -> str:
    grouping = _text(item.get("grouping", "one_to_one"))
    if grouping == "one_to_one":
        return "one to one"
    size = _text(item.get("max_group_size"))
    return f"{grouping.replace('_', ' ')}, up to {size} items per side"


def _thresholds(item: dict[str, Any]) -> str:
    thresholds = item.get("thresholds") or {}
    minimum = _text(thresholds.get("min_score", "0"))
    confirm = thresholds.get("auto_confirm")
    if confirm is None:
        return f"min score {minimum}, every group confirmed"
    return f"min score {minimum}, confirmed from {_text(confirm)}"


def summarize_passes(body: dict[str, Any]) -> list[PassSummary]:
    """Return one row per pass of a stored definition body, in matching order."""
    passes = body.get("passes")
    if not isinstance(passes, list):
        return []
    return [
        PassSummary(
            name=_text(item.get("name")),
            kind=_text(item.get("kind")),
            match_on=_match_on(item),
            tolerance=_tolerance(item),
            date_window=_date_window(item),
            grouping=_grouping(item),
            thresholds=_thresholds(item),
        )
        for item in passes
        if isinstance(item, dict)
    ]


def problems_of(detail: Any) -> list[Problem]:
    """Return the problems of a matcher error detail, each with its key path.

    The matcher's `InvalidDefinition` detail is `{"problems": [{path, message}]}`.
    A request validation error (an over-long note, for example) is FastAPI's list
    of errors with a `loc`. Any other detail becomes one problem without a path.
    """
    if isinstance(detail, dict) and isinstance(detail.get("problems"), list):
        return [
            Problem(path=_text(item.get("path")), message=_text(item.get("message")))
            for item in detail["problems"]
            if isinstance(item, dict)
        ]
    if isinstance(detail, list):
        problems = []
        for item in detail:
            if isinstance(item, dict) and "msg" in item:
                path = ".".join(str(part) for part in item.get("loc", []))
                problems.append(Problem(path=path, message=str(item["msg"])))
            else:
                problems.append(Problem(path="", message=str(item)))
        return problems
    return [Problem(path="", message=str(detail))]


@dataclass(frozen=True, slots=True)
class SaveFailure:
    """Why a save failed, as the edit page shows it: a heading, a sentence, problems."""

    heading: str
    sentence: str = ""
    problems: tuple[Problem, ...] = ()


# NOTE: the patterns below follow the wording of the matcher and of pydantic 2. A
# message that no longer matches is shown as the matcher wrote it.
# The matcher's loader words YAML syntax errors as "<source>: invalid YAML at line L,
# column C: <problem>", or "<source>: invalid YAML: <problem>" without a position.
_INVALID_YAML: Final = re.compile(
    r"^(?:[^:]*: )?invalid YAML(?: at line (?P<line>\d+), column (?P<column>\d+))?: "
    r"(?P<problem>.*)$",
    re.DOTALL,
)
# Pydantic 2 messages of a tagged union, such as the passes' union on `kind`.
_UNION_TAG_INVALID: Final = re.compile(
    r"^Input tag (?P<tag>'.*') found using '(?P<field>[^']+)' does not match any of "
    r"the expected tags: (?P<expected>'[^;]*')",
    re.DOTALL,
)
_UNION_TAG_MISSING: Final = re.compile(
    r"^Unable to extract tag using discriminator '(?P<field>[^']+)'(?P<fix>.*)$",
    re.DOTALL,
)
_QUOTED: Final = re.compile(r"'([^']*)'")
# The matcher's message for an `id` that differs from the one in the URL.
_ID_MISMATCH: Final = re.compile(r"as in the URL, found (?P<found>'[^']*'|\"[^\"]*\")")
# The name under which the matcher's loader refers to a saved text.
_SOURCE_PREFIX: Final = "request body: "
_PASS_PATH: Final = re.compile(r"^passes\[\d+\]$")


def _yaml_problem(problem: Problem) -> Problem | None:
    found = _INVALID_YAML.match(problem.message)
    if found is None:
        return None
    where = ""
    if found["line"] is not None:
        where = f"line {found['line']}, column {found['column']}"
    return Problem(path=where, message=found["problem"])


def _id_message(message: str, *, definition_id: str) -> str:
    found = _ID_MISMATCH.search(message)
    typed = f", but the text has {found['found']}" if found else ""
    return (
        f"must stay {definition_id!r}{typed}. This page only saves new versions of "
        f"{definition_id!r}. To create a new definition, add it to the matcher's "
        "definitions file (MATCHER_DEFINITIONS_FILE), which the matcher loads when "
        "it next starts."
    )


def _union_message(problem: Problem) -> str | None:
    subject = "pass " if _PASS_PATH.match(problem.path) else ""
    invalid = _UNION_TAG_INVALID.match(problem.message)
    if invalid is not None:
        allowed = _QUOTED.findall(invalid["expected"])
        if not allowed:
            return None
        field, tag = invalid["field"], invalid["tag"]
        return f"{subject}{field} {tag} is not one of {', '.join(allowed)}"
    missing = _UNION_TAG_MISSING.match(problem.message)
    if missing is not None:
        return f"{subject}{missing['field']} is missing{missing['fix']}"
    return None


def _page_problem(problem: Problem, *, definition_id: str) -> Problem:
    message = problem.message.removeprefix(_SOURCE_PREFIX)
    if problem.path == "id" and "as in the URL" in message:
        message = _id_message(message, definition_id=definition_id)
    else:
        message = _union_message(problem) or message
    return Problem(path=problem.path, message=message)


def describe_rejection(detail: Any, *, definition_id: str) -> SaveFailure:
    """Reword the matcher's 422 detail of a save for the page user.

    A YAML syntax error gets its own heading and its line and column as the path.
    Other problems keep their key path, with the matcher's API wording replaced.
    """
    problems = problems_of(detail)
    syntax = [found for found in map(_yaml_problem, problems) if found is not None]
    if syntax:
        return SaveFailure(
            heading="The text is not valid YAML",
            sentence="Nothing was saved. Correct the text and save again.",
            problems=tuple(syntax),
        )
    return SaveFailure(
        heading="The definition has invalid values",
        sentence="Nothing was saved. Correct each value below and save again.",
        problems=tuple(
            _page_problem(problem, definition_id=definition_id) for problem in problems
        ),
    )


# The matcher's 409 detail when the newest version already stores the posted text.
_UNCHANGED: Final = re.compile(
    r"^version (?P<version>\d+) of definition .* already stores this definition"
)


def describe_conflict(error: str, detail: Any) -> SaveFailure:
    """Reword the matcher's 409 detail of a save for the page user.

    The matcher's message names the API route that activates an unchanged version,
    so the page names the version to activate on the definition page instead.
    A save from an outdated version gets a heading of its own. Other conflicts,
    such as a concurrent save, keep the matcher's sentence.
    """
    message = str(detail)
    if error == "StaleBaseVersion":
        # The form keeps the posted text and its old base version, so saving it
        # again fails the same way until the editor opens the newest version.
        return SaveFailure(
            heading="Someone saved a newer version",
            sentence=f"{message}. Your text is still in the form below, so copy "
            "your change before you open the newest version.",
        )
    found = _UNCHANGED.match(message) if error == "UnchangedDefinition" else None
    if found is None:
        return SaveFailure(heading="Save failed", sentence=message)
    version = found["version"]
    if "active version already" in message:
        sentence = (
            f"Version {version} already stores this definition and is the active "
            "version, so nothing was saved."
        )
    else:
        sentence = (
            f"Version {version} already stores this definition, so nothing was "
            f"saved. To use it, activate version {version} on the definition page."
        )
    return SaveFailure(heading="Nothing to save", sentence=sentence)


def redacted_lines(text: str) -> list[Problem]:
    """Return a problem for each line of `text` that contains a redacted value."""
    return [
        Problem(
            path=f"line {number}",
            message=(
                f"contains a redacted account number ({MASK}…); replace it with the "
                "full account number before saving"
            ),
        )
        for number, line in enumerate(text.splitlines(), start=1)
        if MASK in line
    ]
