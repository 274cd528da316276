"""Fixtures that render the Helm chart with Helm's own Go engine.

`helm-python-sdk` bundles libhelm_c, a C library built from Helm's Go SDK, so
these tests run the same template engine and values schema validation as
`helm template`, without a helm binary.
"""

import copy
import json
from collections.abc import Iterator
from typing import Any

import helm_python as helm
import pytest

from .rendering import (
    CHART_DIR,
    NAMESPACE,
    RELEASE_NAME,
    VALUE_SETS,
    Manifest,
    Renderer,
    load_value_set,
    parse_manifests,
)


@pytest.fixture(scope="session")
def chart() -> Iterator[helm.Chart]:
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def render(chart: helm.Chart) -> Renderer:
    """Return a function that renders the chart as a fresh install."""

    # Many tests render the same value set, so each is rendered once per session.
    cache: dict[str, list[Manifest]] = {}

    def _render(values: dict[str, Any]) -> list[Manifest]:
        key = json.dumps(values, sort_keys=True)
        if key not in cache:
            rendered = chart.render(
                values, name=RELEASE_NAME, namespace=NAMESPACE, is_install=True
            )
            cache[key] = parse_manifests(rendered)
        return copy.deepcopy(cache[key])

    return _render


@pytest.fixture(scope="session", params=sorted(VALUE_SETS))
def value_set_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def manifests(render: Renderer, value_set_name: str) -> list[Manifest]:
    return render(load_value_set(value_set_name))
