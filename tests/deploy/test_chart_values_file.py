"""Documentation of values.yaml and the shape of values.schema.json."""

import json
import re
from typing import Any

import yaml

from .rendering import CHART_DIR

KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][\w.-]*):(?P<rest>.*)$")


def _undocumented_leaf_keys(lines: list[str]) -> list[str]:
    """Return "line: key" of every leaf key without a comment line right above it.

    A leaf key has a value on its own line ("" or [] or {} included). A key that
    only opens a nested map is a heading and needs no comment of its own.
    """
    missing: list[str] = []
    for number, line in enumerate(lines):
        match = KEY_LINE.match(line)
        if match is None or not match["rest"].strip():
            continue
        previous = lines[number - 1].strip() if number else ""
        if not previous.startswith("#"):
            missing.append(f"{number + 1}: {match['key']}")
    return missing


def _ref_siblings(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node and len(node) > 1:
            found.append(path or "/")
        for key, value in node.items():
            found.extend(_ref_siblings(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_ref_siblings(value, f"{path}/{index}"))
    return found


def _closed_objects_missing(node: Any, path: str = "") -> list[str]:
    """Return paths of object schemas with properties that admit unknown keys."""
    found: list[str] = []
    if isinstance(node, dict):
        if "properties" in node and node.get("type") == "object":
            if node.get("additionalProperties") is not False:
                found.append(path or "/")
        for key, value in node.items():
            found.extend(_closed_objects_missing(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_closed_objects_missing(value, f"{path}/{index}"))
    return found


def test_values_every_leaf_key_commented() -> None:
    lines = (CHART_DIR / "values.yaml").read_text().splitlines()

    missing = _undocumented_leaf_keys(lines)

    assert missing == []


def test_values_comment_check_detects_bare_key() -> None:
    lines = ["image:", "  # Pull policy.", "  pullPolicy: Always", "  registry: x"]

    missing = _undocumented_leaf_keys(lines)

    assert missing == ["4: registry"]


def test_schema_objects_reject_unknown_keys() -> None:
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())

    missing = _closed_objects_missing(schema)

    assert missing == []


def test_schema_refs_have_no_siblings() -> None:
    # Draft-07 validators ignore every keyword beside "$ref", so a constraint
    # written next to one is silently dropped.
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())

    siblings = _ref_siblings(schema)

    assert siblings == []


def test_schema_covers_every_values_key() -> None:
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())

    missing = sorted(set(values) - set(schema["properties"]))

    assert missing == []
