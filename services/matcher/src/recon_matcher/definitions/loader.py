"""Load reconciliation definitions from YAML with errors that name the key and fix.

A file contains either one definition or a mapping with a `definitions` list. Numbers
with a decimal point are read as `Decimal` from their text, so `5.10` stays 5.10.
"""

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from recon_matcher.definitions.models import Definition


class DefinitionError(ValueError):
    """A definition file that cannot be read or is invalid."""


class _DecimalLoader(yaml.SafeLoader):
    """A safe YAML loader that reads floats as exact decimals."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "expected a number", node.start_mark
        )
    text = str(loader.construct_scalar(node))
    return Decimal(text.replace("_", ""))


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)

_DEFINITIONS = TypeAdapter(list[Definition])

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
        raise DefinitionError(
            f"{source}: invalid YAML at {where}: {error.problem}; "
            "fix the indentation or quoting there"
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
    for detail in error.errors(include_url=False):
        lines.append("  " + _describe_one(detail, source=source, items=items))
    return "\n".join(lines)


def _describe_one(detail: ErrorDetails, *, source: str, items: list[Any]) -> str:
    location = list(detail["loc"])
    key = _key_path(location, items)
    message = detail["msg"].removeprefix("Value error, ")
    fix = _FIX_BY_ERROR_TYPE.get(detail["type"])
    suffix = f"; {fix}" if fix and fix not in message else ""
    return f"{source}: {key}: {message}{suffix}"


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


def dump_definition(definition: BaseModel) -> dict[str, Any]:
    """Return `definition` as plain data that `parse_definitions` reads back."""
    return definition.model_dump(mode="json", exclude_defaults=True)
