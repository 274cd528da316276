"""Tests for the options of `scripts/setup` and `scripts/demo`.

Each script runs with a PATH that contains only `cat` and `dirname`, and with
RECON_PYTHON=/bin/false. A script that went past its option check would print
`[setup]` lines and stop at the first install step, so it cannot install anything.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ("setup", "demo")


def _run_script(
    name: str, *arguments: str, bin_dir: Path
) -> subprocess.CompletedProcess[str]:
    bin_dir.mkdir(exist_ok=True)
    for tool in ("cat", "dirname"):
        found = shutil.which(tool)
        assert found is not None
        link = bin_dir / tool
        if not link.exists():
            os.symlink(found, link)
    environment = {
        "PATH": str(bin_dir),
        "HOME": str(bin_dir.parent),
        "RECON_PYTHON": "/bin/false",
    }
    return subprocess.run(  # noqa: S603 - the repository's own scripts
        ["/bin/bash", str(REPO_ROOT / "scripts" / name), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("name", SCRIPTS)
@pytest.mark.parametrize("option", ["--help", "-h"])
def test_script_help_prints_usage(name: str, option: str, tmp_path: Path) -> None:
    completed = _run_script(name, option, bin_dir=tmp_path / "bin")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"usage: scripts/{name} ")
    assert completed.stderr == ""
    assert "[setup]" not in completed.stdout


def test_setup_help_names_dev_and_packages(tmp_path: Path) -> None:
    completed = _run_script("setup", "--help", bin_dir=tmp_path / "bin")

    assert "--dev" in completed.stdout
    assert "openjdk-17-jre-headless" in completed.stdout
    assert "postgresql-15" in completed.stdout


def test_demo_help_names_keep_data(tmp_path: Path) -> None:
    completed = _run_script("demo", "--help", bin_dir=tmp_path / "bin")

    assert "--keep-data" in completed.stdout


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_unknown_option_exits_2(name: str, tmp_path: Path) -> None:
    completed = _run_script(name, "--verbose", bin_dir=tmp_path / "bin")

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert f"scripts/{name}: unknown option --verbose" in completed.stderr


def test_setup_help_after_dev_still_installs_nothing(tmp_path: Path) -> None:
    completed = _run_script("setup", "--dev", "--help", bin_dir=tmp_path / "bin")

    assert completed.returncode == 0
    assert "[setup]" not in completed.stdout


def test_setup_without_python_stops_before_installing(tmp_path: Path) -> None:
    completed = _run_script("setup", bin_dir=tmp_path / "bin")

    assert completed.returncode == 1
    assert "[setup] installing uv with pip" in completed.stdout
