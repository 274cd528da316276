"""Paths, value sets and lookups shared by the deployment tests."""

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "charts" / "recon-platform"
VALUES_DIR = CHART_DIR / "ci"
SERVICE_NAMES = ("ingest", "matcher", "reporting", "keyvault", "audit")
RELEASE_NAME = "acme"
NAMESPACE = "recon-acme"

# Value sets under charts/recon-platform/ci, by test id.
VALUE_SETS = {
    "minimal": "minimal-values.yaml",
    "aws-alb": "aws-alb-values.yaml",
    "nginx": "nginx-values.yaml",
}

type Manifest = dict[str, Any]
type Renderer = Callable[[dict[str, Any]], list[Manifest]]


def load_value_set(name: str) -> dict[str, Any]:
    """Load one value set from the chart's ci folder."""
    loaded = yaml.safe_load((VALUES_DIR / VALUE_SETS[name]).read_text())
    assert isinstance(loaded, dict)
    return loaded


def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return base with override merged in, recursively for nested maps."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_manifests(rendered: dict[str, str]) -> list[Manifest]:
    """Parse every YAML document of the rendered templates, NOTES.txt excluded."""
    manifests: list[Manifest] = []
    for template, text in sorted(rendered.items()):
        if template.endswith("NOTES.txt"):
            continue
        for document in yaml.safe_load_all(text):
            if document is not None:
                manifests.append(document)
    return manifests


def find(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    """Return the one object of that kind and name, failing the test if absent."""
    matches = [
        item
        for item in manifests
        if item["kind"] == kind and item["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    """Return every object of one kind."""
    return [item for item in manifests if item["kind"] == kind]


def component_name(service: str) -> str:
    """Return the object name of one service in the test release."""
    return f"{RELEASE_NAME}-recon-platform-{service}"
