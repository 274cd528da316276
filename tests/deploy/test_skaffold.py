"""skaffold.yaml agrees with the Dockerfiles, the chart and its values."""

import copy
import re
from typing import Any

import pytest
import yaml

from .rendering import (
    CHART_DIR,
    REPO_ROOT,
    SERVICE_NAMES,
    Manifest,
    component_name,
    find,
    merge_values,
)

SKAFFOLD_FILE = REPO_ROOT / "skaffold.yaml"
DEFAULT_TEMPLATE = re.compile(r'^\{\{\s*default\s+"(?P<path>[^"]+)"\s+\.\w+\s*\}\}$')
IMAGE_TEMPLATE = re.compile(r"^\{\{\.IMAGE_(?P<part>REPO|TAG)_(?P<artifact>\w+)\}\}$")
TEST_REGISTRY = "registry.example.test/team"
TEST_TAG = "0123abc"


def _load_skaffold() -> dict[str, Any]:
    loaded = yaml.safe_load(SKAFFOLD_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _template_variable(artifact_image: str) -> str:
    """Return the name skaffold gives an artifact in templates: / and - become _."""
    return re.sub(r"[/-]", "_", artifact_image)


def _apply_patches(config: dict[str, Any], patches: list[dict[str, Any]]) -> None:
    """Apply JSON Patch "add" operations, the only kind skaffold.yaml uses."""
    for patch in patches:
        assert patch["op"] == "add", patch
        *parents, last = patch["path"].strip("/").split("/")
        target: Any = config
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            assert last == "-", patch
            target.append(patch["value"])
        else:
            target[last] = patch["value"]


def _profile_config(name: str) -> dict[str, Any]:
    config = _load_skaffold()
    profiles = {profile["name"]: profile for profile in config.pop("profiles")}
    result = copy.deepcopy(config)
    _apply_patches(result, profiles[name].get("patches", []))
    return result


def _values_file_path(entry: str) -> str:
    match = DEFAULT_TEMPLATE.match(entry)
    return match["path"] if match else entry


def _dotted_to_nested(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, last = dotted.split(".")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return nested


def _skaffold_values(release: dict[str, Any], images: list[str]) -> dict[str, Any]:
    """Compute the values skaffold passes to Helm for test image names."""
    variables = {}
    for image in images:
        variable = _template_variable(image)
        variables[f"REPO_{variable}"] = f"{TEST_REGISTRY}/{image}"
        variables[f"TAG_{variable}"] = TEST_TAG
    values: dict[str, Any] = {}
    for entry in release.get("valuesFiles", []):
        loaded = yaml.safe_load((REPO_ROOT / _values_file_path(entry)).read_text())
        values = merge_values(values, loaded)
    values = merge_values(values, _dotted_to_nested(release.get("setValues", {})))
    templated = {}
    for key, template in release["setValueTemplates"].items():
        match = IMAGE_TEMPLATE.match(template)
        assert match is not None, template
        templated[key] = variables[f"{match['part']}_{match['artifact']}"]
    return merge_values(values, _dotted_to_nested(templated))


def _release(config: dict[str, Any]) -> dict[str, Any]:
    releases = config["deploy"]["helm"]["releases"]
    assert len(releases) == 1
    release: dict[str, Any] = releases[0]
    return release


def test_skaffold_schema_version() -> None:
    config = _load_skaffold()

    assert re.fullmatch(r"skaffold/v4beta\d+", config["apiVersion"])
    assert config["kind"] == "Config"


def test_skaffold_artifact_per_service() -> None:
    artifacts = _load_skaffold()["build"]["artifacts"]

    images = sorted(artifact["image"] for artifact in artifacts)

    assert images == sorted(f"recon-{name}" for name in SERVICE_NAMES)


def test_skaffold_artifact_dockerfiles_exist() -> None:
    for artifact in _load_skaffold()["build"]["artifacts"]:
        context = REPO_ROOT / artifact["context"]
        dockerfile = context / artifact["docker"]["dockerfile"]

        assert artifact["context"] == ".", artifact["image"]
        assert dockerfile.is_file(), dockerfile


def test_skaffold_artifact_matches_own_dockerfile() -> None:
    for artifact in _load_skaffold()["build"]["artifacts"]:
        service = artifact["image"].removeprefix("recon-")

        assert artifact["docker"]["dockerfile"] == f"services/{service}/Dockerfile"


def test_skaffold_images_match_chart_repositories() -> None:
    chart_values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    artifacts = {item["image"] for item in _load_skaffold()["build"]["artifacts"]}

    repositories = {
        chart_values["services"][name]["image"]["repository"] for name in SERVICE_NAMES
    }

    assert repositories == artifacts


def test_skaffold_chart_path_exists() -> None:
    release = _release(_load_skaffold())

    assert (REPO_ROOT / release["chartPath"] / "Chart.yaml").is_file()


def test_skaffold_value_templates_name_chart_keys() -> None:
    chart_values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    artifacts = {
        _template_variable(item["image"])
        for item in _load_skaffold()["build"]["artifacts"]
    }
    templates = _release(_load_skaffold())["setValueTemplates"]

    for key, template in templates.items():
        node: Any = chart_values
        for part in key.split("."):
            assert part in node, key
            node = node[part]
        match = IMAGE_TEMPLATE.match(template)
        assert match is not None, template
        assert match["artifact"] in artifacts, template
        assert key.split(".")[1] == match["artifact"].removeprefix("recon_"), key


def test_skaffold_profiles_present_and_commented() -> None:
    lines = SKAFFOLD_FILE.read_text().splitlines()

    profile_lines = [
        number for number, line in enumerate(lines) if line.startswith("  - name: ")
    ]
    names = [lines[number].split(": ", 1)[1] for number in profile_lines]

    assert names == ["local", "production"]
    for number in profile_lines:
        assert lines[number - 1].strip().startswith("#"), lines[number]


@pytest.mark.parametrize("profile", ["local", "production"])
def test_skaffold_profile_values_files_exist(profile: str) -> None:
    release = _release(_profile_config(profile))

    paths = [_values_file_path(entry) for entry in release["valuesFiles"]]

    assert paths
    for path in paths:
        assert (REPO_ROOT / path).is_file(), path


@pytest.mark.parametrize("profile", ["local", "production"])
def test_skaffold_profile_renders_built_images(render: Any, profile: str) -> None:
    config = _profile_config(profile)
    images = [item["image"] for item in config["build"]["artifacts"]]
    values = _skaffold_values(_release(config), images)

    manifests: list[Manifest] = render(values)

    for name in SERVICE_NAMES:
        deployment = find(manifests, "Deployment", component_name(name))
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"{TEST_REGISTRY}/recon-{name}:{TEST_TAG}"


def test_skaffold_local_profile_does_not_push() -> None:
    config = _profile_config("local")

    assert config["build"]["local"]["push"] is False


def test_skaffold_production_profile_uses_alb() -> None:
    release = _release(_profile_config("production"))
    values_file = _values_file_path(release["valuesFiles"][-1])

    values = yaml.safe_load((REPO_ROOT / values_file).read_text())

    assert values["ingress"]["controller"] == "alb"
