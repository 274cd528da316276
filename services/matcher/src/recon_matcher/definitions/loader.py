"""Load reconciliation definitions from YAML with errors that name the key and fix.

A file contains either one definition or a mapping with a `definitions` list. Numbers
with a decimal point are read as `Decimal` from their text, so `5.10` stays 5.10. The
definitions API takes one definition as YAML or JSON, read the same way.
"""

import difflib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from recon_matcher.definitions import models
from recon_matcher.definitions.models import Definition

# The maximum number of problems that one error lists. Its message counts them all.
MAX_PROBLEMS: Final = 50


@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    """One invalid value: its key path in the definition and what to change."""

    path: str
    message: str


class DefinitionError(ValueError):
    """A definition file or document that cannot be read or is invalid.

    `problems` lists each invalid value with its key path, for example
    `passes[2].amount_tolerance`. An error that concerns the whole document has one
    problem with an empty path.
    """

    def __init__(
        self, message: str, *, problems: Sequence[DefinitionProblem] = ()
    ) -> None:
        super().__init__(message)
        self.problems = list(problems) or [DefinitionProblem(path="", message=message)]


class _DecimalLoader(yaml.SafeLoader):
    """A safe YAML loader that reads floats as exact decimals."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "expected a number", node.start_mark
        )
    text = str(loader.construct_scalar(node))
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a finite number, found {text}", node.start_mark
        )
    return value


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)

_DEFINITIONS = TypeAdapter(list[Definition])


def _model_keys() -> list[str]:
    keys: set[str] = set()
    for value in vars(models).values():
        if (
            isinstance(value, type)
            and issubclass(value, BaseModel)
            and value.__module__ == models.__name__
        ):
            keys.update(value.model_fields)
    return sorted(keys)


# Every key of a definition at any depth, for spelling suggestions.
_KNOWN_KEYS: Final = _model_keys()

_FIX_BY_ERROR_TYPE = {
    "missing": "add this key",
    "extra_forbidden": "remove this key or correct its spelling",
    "union_tag_invalid": "set `kind` to `exact`, `tolerance` or `fuzzy`",
    "union_tag_not_found": "add `kind: exact`, `kind: tolerance` or `kind: fuzzy`",
    "enum": "use one of the listed values",
    "too_short": "add at least one entry",
    "greater_than_equal": "use a larger value",
    "less_than_equal": "use a smaller value",
    "decimal_parsing": "write a number such as 5.00",
    "int_parsing": "write a whole number",
    "list_type": "write a list, for example [a, b]",
    "model_type": "write a mapping of keys to values",
    "dict_type": "write a mapping of keys to values",
}


def load_definitions(path: Path | str) -> list[Definition]:
    """Read every definition in the YAML file at `path`."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(
            f"{source}: cannot read the file ({error.strerror}); "
            "check the path and its permissions"
        ) from None
    return parse_definitions(text, source=str(source))


def parse_definitions(text: str, *, source: str = "<text>") -> list[Definition]:
    """Parse definitions from YAML `text`, naming it `source` in error messages."""
    document = _load_yaml(text, source=source)
    items = _definition_items(document, source=source)
    try:
        definitions = _DEFINITIONS.validate_python(items)
    except ValidationError as error:
        raise DefinitionError(_describe(error, source=source, items=items)) from None
    _check_unique_ids(definitions, source=source)
    return definitions


def _load_yaml(text: str, *, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_DecimalLoader)  # noqa: S506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        fix = (
            ""
            if isinstance(error, yaml.constructor.ConstructorError)
            else "; fix the indentation or quoting there"
        )
        raise DefinitionError(
            f"{source}: invalid YAML at {where}: {error.problem}{fix}"
        ) from None
    except yaml.YAMLError as error:
        raise DefinitionError(f"{source}: invalid YAML: {error}") from None


def _definition_items(document: Any, *, source: str) -> list[Any]:
    if isinstance(document, dict) and "definitions" in document:
        items = document["definitions"]
        if not isinstance(items, list):
            raise DefinitionError(
                f"{source}: definitions: expected a list of definitions, "
                f"found {type(items).__name__}; start each definition with `- id:`"
            )
        return items
    if isinstance(document, dict):
        return [document]
    raise DefinitionError(
        f"{source}: expected a mapping with a `definitions` list, "
        f"found {type(document).__name__}"
    )


def _describe(error: ValidationError, *, source: str, items: list[Any]) -> str:
    lines = [f"{source}: {error.error_count()} invalid value(s) in definitions"]
    for problem in _problems(error, items=items):
        lines.append(f"  {source}: {problem.path}: {problem.message}")
    return "\n".join(lines)


def _problems(error: ValidationError, *, items: list[Any]) -> list[DefinitionProblem]:
    details = error.errors(include_url=False)
    return [_problem(detail, items=items) for detail in details[:MAX_PROBLEMS]]


def _problem(detail: ErrorDetails, *, items: list[Any]) -> DefinitionProblem:
    location = list(detail["loc"])
    message = _message(detail)
    fix = _fix(detail, location)
    suffix = f"; {fix}" if fix and fix not in message else ""
    return DefinitionProblem(path=_key_path(location, items), message=message + suffix)


def _fix(detail: ErrorDetails, location: list[int | str]) -> str | None:
    fix = _FIX_BY_ERROR_TYPE.get(detail["type"])
    found = detail.get("input")
    if detail["type"] == "extra_forbidden" and isinstance(location[-1], str):
        close = difflib.get_close_matches(location[-1], _KNOWN_KEYS, n=1)
        if close:
            return f"remove this key or correct its spelling (`{close[0]}`?)"
    if (
        detail["type"] == "decimal_parsing"
        and isinstance(found, str)
        and found.strip().endswith("%")
    ):
        return (
            "write a number such as 5.00; set a percentage as amount_tolerance_percent"
        )
    return fix


def _message(detail: ErrorDetails) -> str:
    context = detail.get("ctx") or {}
    found = detail.get("input")
    if (
        detail["type"] == "greater_than_equal"
        and str(context.get("ge")) == "0"
        and isinstance(found, int | Decimal)
    ):
        return f"must not be negative, found {found}"
    if detail["type"] == "less_than_equal" and isinstance(
        found, int | float | Decimal | str
    ):
        return f"must be at most {context.get('le')}, found {found}"
    return detail["msg"].removeprefix("Value error, ")


def _key_path(location: list[int | str], items: list[Any]) -> str:
    """Render a pydantic error location, naming the definition by its id."""
    parts: list[str] = []
    for index, part in enumerate(location):
        if index == 0 and isinstance(part, int):
            parts.append(_definition_label(part, items))
        elif isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        elif part in ("exact", "tolerance", "fuzzy") and index > 0:
            continue
        else:
            parts.append(part)
    return ".".join(parts)


def _definition_label(index: int, items: list[Any]) -> str:
    item = items[index] if index < len(items) else None
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return f"definitions[{index}] (id {item['id']})"
    return f"definitions[{index}]"


def _check_unique_ids(definitions: list[Definition], *, source: str) -> None:
    seen: set[str] = set()
    for definition in definitions:
        if definition.id in seen:
            raise DefinitionError(
                f"{source}: id: {definition.id!r} is used by two definitions; "
                "give each definition its own id"
            )
        seen.add(definition.id)


def parse_definition(
    text: str, *, source: str = "<request>", media_type: str = "yaml"
) -> Definition:
    """Parse one definition from `text`, which is YAML, or JSON if `media_type` is json.

    Key paths in the problems of a `DefinitionError` start inside the definition,
    for example `passes[2].amount_tolerance`.
    """
    if media_type == "json":
        document = _load_json(text, source=source)
    else:
        document = _load_yaml(text, source=source)
    if not isinstance(document, dict):
        raise DefinitionError(
            f"{source}: expected one definition as a mapping of keys to values, "
            f"found {type(document).__name__}"
        )
    if "definitions" in document and "id" not in document:
        raise DefinitionError(
            f"{source}: found a `definitions` list, but a request carries one "
            "definition; send each entry of the list on its own, with its id in "
            "the path"
        )
    try:
        return Definition.model_validate(document)
    except ValidationError as error:
        problems = _problems(error, items=[document])
        lines = [f"{source}: {error.error_count()} invalid value(s) in the definition"]
        lines.extend(f"  {problem.path}: {problem.message}" for problem in problems)
        raise DefinitionError("\n".join(lines), problems=problems) from None


def _load_json(text: str, *, source: str) -> Any:
    try:
        return json.loads(
            text, parse_float=Decimal, parse_constant=_rejecter(source=source)
        )
    except json.JSONDecodeError as error:
        raise DefinitionError(
            f"{source}: invalid JSON at line {error.lineno}, column {error.colno}: "
            f"{error.msg}"
        ) from None


def _rejecter(*, source: str) -> Callable[[str], Any]:
    def reject(name: str) -> Any:
        raise DefinitionError(
            f"{source}: invalid JSON: {name} is not a finite number; write a number "
            "such as 5.00"
        )

    return reject


def dump_definition(definition: BaseModel) -> dict[str, Any]:
    """Return `definition` as plain data that `parse_definitions` reads back."""
    return definition.model_dump(mode="json", exclude_defaults=True)
