"""Each service Dockerfile builds its own package and runs its console script.

No Docker engine runs on the development and CI machines, so these tests read
the Dockerfiles: instructions, copied paths, base images and the entry point.
"""

import fnmatch
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from .dockerfile import Instruction, parse_dockerfile
from .rendering import REPO_ROOT, SERVICE_NAMES

PINNED_IMAGES = {
    "python": re.compile(r"^python:3\.12\.\d+-slim-bookworm$"),
    "ghcr.io/astral-sh/uv": re.compile(r"^ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+$"),
}


def _instructions(service: str, keyword: str) -> list[Instruction]:
    path = REPO_ROOT / "services" / service / "Dockerfile"
    return [item for item in parse_dockerfile(path) if item.keyword == keyword]


def _copy_sources(instruction: Instruction) -> list[str]:
    """Return the build-context sources of a COPY, none for COPY --from."""
    words = instruction.arguments.split()
    if any(word.startswith("--from=") for word in words):
        return []
    paths = [word for word in words if not word.startswith("--")]
    return paths[:-1]


def _dockerignore_patterns() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pyproject(service: str) -> dict[str, Any]:
    path = REPO_ROOT / "services" / service / "pyproject.toml"
    return tomllib.loads(path.read_text())


def test_dockerfile_parser_joins_continuation_lines(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("# comment\nRUN a \\\n    b\nUSER 1\n")

    parsed = parse_dockerfile(dockerfile)

    assert parsed == [Instruction("RUN", "a  b"), Instruction("USER", "1")]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_base_images_pinned(service: str) -> None:
    images = [item.arguments.split()[0] for item in _instructions(service, "FROM")]

    for image in images:
        repository = image.rsplit(":", 1)[0]
        assert repository in PINNED_IMAGES, image
        assert PINNED_IMAGES[repository].match(image), image


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_copied_paths_exist(service: str) -> None:
    sources = [
        source
        for instruction in _instructions(service, "COPY")
        for source in _copy_sources(instruction)
    ]

    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), source


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_copied_paths_not_ignored(service: str) -> None:
    patterns = _dockerignore_patterns()
    sources = [
        source.rstrip("/")
        for instruction in _instructions(service, "COPY")
        for source in _copy_sources(instruction)
    ]

    for source in sources:
        ignored = [
            pattern
            for pattern in patterns
            if fnmatch.fnmatch(source, pattern.removeprefix("**/"))
            or fnmatch.fnmatch(source.split("/")[0], pattern)
        ]
        assert ignored == [], source


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_installs_only_own_package(service: str) -> None:
    syncs = [
        item.arguments
        for item in _instructions(service, "RUN")
        if "uv sync" in item.arguments
    ]
    package = _pyproject(service)["project"]

    assert syncs
    for command in syncs:
        assert "--frozen" in command.split(), command
        assert "--no-dev" in command.split(), command
        assert f"--package {package['name']}" in command, command


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_package_in_lockfile(service: str) -> None:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    locked = {item["name"] for item in lock["package"]}

    assert f"recon-{service}" in locked


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_entrypoint_is_console_script(service: str) -> None:
    entrypoints = _instructions(service, "ENTRYPOINT")
    scripts = _pyproject(service)["project"]["scripts"]

    command = json.loads(entrypoints[-1].arguments)

    assert len(entrypoints) == 1
    assert command == [f"recon-{service}"]
    assert command[0] in scripts


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_console_script_module_exists(service: str) -> None:
    scripts = _pyproject(service)["project"]["scripts"]
    module = scripts[f"recon-{service}"].split(":")[0]

    path = REPO_ROOT / "services" / service / "src" / (module.replace(".", "/") + ".py")

    assert path.is_file(), path


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_default_command_serves(service: str) -> None:
    commands = _instructions(service, "CMD")

    assert [json.loads(item.arguments) for item in commands] == [["serve"]]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_runs_as_uid_10001(service: str) -> None:
    users = _instructions(service, "USER")

    assert [item.arguments for item in users] == ["10001:10001"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_dockerfile_exposes_service_ports(service: str) -> None:
    exposed = {
        port
        for item in _instructions(service, "EXPOSE")
        for port in item.arguments.split()
    }

    expected = {"8080", "2222"} if service == "ingest" else {"8080"}
    assert exposed == expected
