"""Render the chart for every value set and validate what Helm produces."""

from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest

from .rendering import (
    CHART_DIR,
    NAMESPACE,
    SERVICE_NAMES,
    Manifest,
    load_value_set,
    of_kind,
)

# Custom resources have no schema in kubernetes-validate, so they are checked by
# their own tests (KafkaTopic in test_chart_topics.py) instead.
CUSTOM_RESOURCE_KINDS = frozenset({"KafkaTopic"})

# The oldest Kubernetes minor that Chart.yaml's kubeVersion admits, and the
# newest that kubernetes-validate ships schemas for.
KUBERNETES_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())


def _schema_errors(manifests: list[Manifest], version: str) -> list[str]:
    errors: list[str] = []
    for item in manifests:
        if item["kind"] in CUSTOM_RESOURCE_KINDS:
            continue
        name = f"{item['kind']}/{item['metadata']['name']}"
        try:
            kubernetes_validate.validate(item, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{name}: {error.message} at {list(error.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{name}: no schema for {item['apiVersion']}")
    return errors


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_chart_objects_match_kubernetes_schema(
    manifests: list[Manifest], version: str
) -> None:
    errors = _schema_errors(manifests, version)

    assert errors == []


def test_chart_objects_have_release_namespace(manifests: list[Manifest]) -> None:
    namespaces = {item["metadata"].get("namespace") for item in manifests}

    assert namespaces == {NAMESPACE}


def test_chart_object_names_unique(manifests: list[Manifest]) -> None:
    keys = [(item["kind"], item["metadata"]["name"]) for item in manifests]

    assert len(keys) == len(set(keys))


def test_chart_object_names_fit_label_length(manifests: list[Manifest]) -> None:
    long_names = [
        item["metadata"]["name"]
        for item in manifests
        if len(item["metadata"]["name"]) > 63
    ]

    assert long_names == []


def test_chart_renders_workload_per_service(manifests: list[Manifest]) -> None:
    deployments = of_kind(manifests, "Deployment")
    components = {
        item["metadata"]["labels"]["app.kubernetes.io/component"]
        for item in deployments
    }

    assert len(deployments) == len(SERVICE_NAMES)
    assert components == set(SERVICE_NAMES)


def test_chart_labels_carry_bank_id(manifests: list[Manifest]) -> None:
    bank_ids = {item["metadata"]["labels"]["recon.io/bank-id"] for item in manifests}

    assert len(bank_ids) == 1


@pytest.mark.parametrize("value_set", ["minimal", "aws-alb", "nginx"])
def test_chart_lint_strict_passes(value_set: str) -> None:
    values: dict[str, Any] = load_value_set(value_set)

    report = helm.lint(
        CHART_DIR,
        values,
        strict=True,
        namespace=NAMESPACE,
        with_subcharts=True,
        kube_version="v1.27.0",
    )

    assert report["errors"] == []
    assert [message for message in report["messages"] if message["severity"] >= 2] == []


def test_chart_package_bundles_library_chart(tmp_path: Path) -> None:
    archive = helm.package(CHART_DIR, destination=str(tmp_path))

    with helm.Chart.load(archive) as packaged:
        dependencies = [item["name"] for item in packaged.dependencies]
        files = [item["name"] for item in packaged.files]

    assert dependencies == ["recon-lib"]
    assert not any(name.startswith("ci/") for name in files)


def test_notes_warn_without_sftp_secrets(chart: helm.Chart) -> None:
    rendered = chart.render(load_value_set("minimal"), name="acme", namespace=NAMESPACE)

    notes = rendered["recon-platform/templates/NOTES.txt"]

    assert "sftp.hostKey.existingSecret is empty" in notes
    assert "sftp.users.existingSecret is empty" in notes


def test_notes_quiet_with_sftp_secrets(chart: helm.Chart) -> None:
    rendered = chart.render(load_value_set("aws-alb"), name="acme", namespace=NAMESPACE)

    notes = rendered["recon-platform/templates/NOTES.txt"]

    assert "WARNING" not in notes
