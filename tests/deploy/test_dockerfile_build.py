"""Run the builder stage of each service Dockerfile on this machine.

The development and CI machines have no Docker engine, so this test carries out
the builder stage's ENV, WORKDIR, COPY and RUN instructions itself, in a
temporary folder that serves as the image's root. Two things differ from a
real build: the host's Python 3.12 replaces the base image's interpreter, and
the host's uv replaces the one the Dockerfile copies from the uv image. The
virtual environment that results must contain the service and its dependencies
only, and its console script must run `migrate` against SQLite.
"""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .dockerfile import Instruction, parse_dockerfile
from .rendering import REPO_ROOT, SERVICE_NAMES

pytestmark = pytest.mark.slow

BUILDER_STAGE = "builder"
# A cold uv cache downloads every wheel of the service, so the limit is generous.
RUN_TIMEOUT_S = 600


def _stage(path: Path, name: str) -> list[Instruction]:
    """Return the instructions of one named stage of a Dockerfile."""
    instructions: list[Instruction] = []
    current = ""
    for instruction in parse_dockerfile(path):
        if instruction.keyword == "FROM":
            words = instruction.arguments.split()
            current = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else ""
            continue
        if current == name:
            instructions.append(instruction)
    return instructions


def _ignored_names() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [
        line.strip().removeprefix("**/")
        for line in lines
        if line.strip().startswith("**/")
    ]


def _copy(sources: list[str], destination: str, workdir: Path) -> None:
    """Copy sources as COPY does, putting a folder's content into the destination."""
    ignore = shutil.ignore_patterns(*_ignored_names())
    target = workdir / destination
    for source in sources:
        origin = REPO_ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
            continue
        file_target = target / origin.name if destination.endswith("/") else target
        file_target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, file_target)


def _host_python() -> str:
    """Return the interpreter behind this test's virtual environment."""
    base: str = getattr(sys, "_base_executable", sys.executable)
    return str(Path(base).resolve())


def _run_builder_stage(service: str, root: Path) -> dict[str, str]:
    """Carry out the builder stage under root and return its environment."""
    dockerfile = REPO_ROOT / "services" / service / "Dockerfile"
    uv = shutil.which("uv")
    assert uv is not None, "uv is not on PATH; install uv to run the image build"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("UV_") and key != "VIRTUAL_ENV"
    }
    workdir = root
    for instruction in _stage(dockerfile, BUILDER_STAGE):
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.arguments):
                key, _, value = pair.partition("=")
                if key == "UV_PYTHON":
                    value = _host_python()
                elif value.startswith("/"):
                    value = str(root / value.lstrip("/"))
                env[key] = value
        elif instruction.keyword == "WORKDIR":
            workdir = root / instruction.arguments.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            words = instruction.arguments.split()
            if any(word.startswith("--from=") for word in words):
                continue
            paths = [word for word in words if not word.startswith("--")]
            _copy(paths[:-1], paths[-1], workdir)
        elif instruction.keyword == "RUN":
            words = instruction.arguments.split()
            command = " ".join(
                word for word in words if not word.startswith("--mount=")
            )
            result = subprocess.run(
                ["bash", "-c", command],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
            assert result.returncode == 0, f"{command}\n{result.stderr}"
    return env


@pytest.fixture(scope="module", params=SERVICE_NAMES)
def built(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """Build one service's virtual environment and yield (service, venv path)."""
    service: str = request.param
    # A folder of its own, because pytest prunes old tmp_path folders whenever
    # another pytest session on the machine starts.
    with tempfile.TemporaryDirectory(prefix=f"recon-image-{service}-") as root:
        env = _run_builder_stage(service, Path(root))
        yield service, Path(env["UV_PROJECT_ENVIRONMENT"])


def _run_in_image(venv: Path, *args: str, env: dict[str, str], cwd: Path) -> str:
    command = [str(venv / "bin" / args[0]), *args[1:]]
    result = subprocess.run(
        command,
        cwd=cwd,
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_image_build_installs_console_script(built: tuple[str, Path]) -> None:
    service, venv = built

    script = venv / "bin" / f"recon-{service}"

    assert script.is_file()


def test_image_build_installs_only_own_service(
    built: tuple[str, Path], tmp_path: Path
) -> None:
    service, venv = built
    candidates = [f"recon_{name}" for name in SERVICE_NAMES] + [
        "recon_platform",
        "recon_common",
        "pytest",
    ]
    probe = (
        "import importlib.util as u; "
        f"print(','.join(n for n in {candidates!r} if u.find_spec(n)))"
    )

    output = _run_in_image(venv, "python", "-c", probe, env={}, cwd=tmp_path)

    assert output.strip().split(",") == [f"recon_{service}", "recon_common"]


def test_image_build_installs_no_editable_source(
    built: tuple[str, Path], tmp_path: Path
) -> None:
    service, venv = built
    probe = f"import recon_{service} as m; print(m.__file__)"

    output = _run_in_image(venv, "python", "-c", probe, env={}, cwd=tmp_path)

    assert output.strip().startswith(str(venv))


def test_image_build_command_offers_serve_and_migrate(
    built: tuple[str, Path], tmp_path: Path
) -> None:
    service, venv = built

    output = _run_in_image(venv, f"recon-{service}", "--help", env={}, cwd=tmp_path)

    assert "serve" in output
    assert "migrate" in output


def test_image_build_migrates_sqlite(built: tuple[str, Path], tmp_path: Path) -> None:
    service, venv = built
    database = tmp_path / f"{service}.db"
    env = {f"{service.upper()}_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}

    _run_in_image(venv, f"recon-{service}", "migrate", env=env, cwd=tmp_path)

    assert database.is_file()


def test_image_build_imports_every_module(
    built: tuple[str, Path], tmp_path: Path
) -> None:
    service, venv = built
    # Imports each module of the service, so a dependency that only the test tools
    # pulled in fails here instead of when the image starts.
    script = (
        "import importlib, pkgutil\n"
        f"import recon_{service} as package\n"
        "prefix = package.__name__ + '.'\n"
        "for module in pkgutil.walk_packages(package.__path__, prefix):\n"
        "    if '.migrations' not in module.name:\n"
        "        importlib.import_module(module.name)\n"
        "print('imported')\n"
    )

    output = _run_in_image(venv, "python", "-c", script, env={}, cwd=tmp_path)

    assert "imported" in output
