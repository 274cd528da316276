"""Tests for the known_hosts file of the local SFTP server, checked with ssh-keygen.

The host key is made by OpenSSH's `ssh-keygen`, not by the code under test, so the
checks compare the stack's output with OpenSSH's own reading of the key.
"""

import shlex
import subprocess
from pathlib import Path

import pytest

from recon_platform import demo
from recon_platform.cli import sftp_lines
from recon_platform.stack import LocalStack, Ports, Progress, StackError


@pytest.fixture(autouse=True)
def _no_stack_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECON_DATA_DIR", raising=False)
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)


def _make_host_key(stack: LocalStack) -> Path:
    """Create an Ed25519 host key where the ingest service looks for it."""
    path = stack.sftp_host_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        timeout=30,
    )
    return path


def _ssh_keygen(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh-keygen", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _fingerprint_by_openssh(path: Path) -> str:
    """Return the SHA256 fingerprint that `ssh-keygen -l` prints for a key file."""
    listed = _ssh_keygen("-l", "-E", "sha256", "-f", str(path))
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.split()[1]


def test_known_hosts_entry_found_by_ssh_keygen(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(100))
    host_key = _make_host_key(stack)

    known_hosts = stack.write_sftp_known_hosts()

    found = _ssh_keygen("-F", "[127.0.0.1]:2322", "-f", str(known_hosts))
    assert found.returncode == 0, found.stderr
    public_key = host_key.with_suffix(".pub").read_text().split()[1]
    assert public_key in found.stdout
    assert known_hosts.parent == host_key.parent


def test_known_hosts_entry_follows_port_offset(tmp_path: Path) -> None:
    _make_host_key(LocalStack(tmp_path))
    LocalStack(tmp_path, ports=Ports(100)).write_sftp_known_hosts()

    known_hosts = LocalStack(tmp_path, ports=Ports(200)).write_sftp_known_hosts()

    new_port = _ssh_keygen("-F", "[127.0.0.1]:2422", "-f", str(known_hosts))
    old_port = _ssh_keygen("-F", "[127.0.0.1]:2322", "-f", str(known_hosts))
    assert new_port.returncode == 0
    assert old_port.returncode == 1


def test_known_hosts_fingerprint_matches_host_key(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    host_key = _make_host_key(stack)

    known_hosts = stack.write_sftp_known_hosts()

    assert _fingerprint_by_openssh(known_hosts) == _fingerprint_by_openssh(host_key)


def test_known_hosts_without_host_key_raises(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)

    with pytest.raises(StackError) as caught:
        stack.write_sftp_known_hosts()

    assert str(stack.sftp_host_key()) in str(caught.value)
    assert not stack.sftp_known_hosts_file().exists()


def test_sftp_lines_print_openssh_fingerprint(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    host_key = _make_host_key(stack)

    lines = sftp_lines(stack)

    expected = f"  host key fingerprint: {_fingerprint_by_openssh(host_key)}"
    assert lines[1] == f"{expected} (ssh-ed25519)"


def test_sftp_lines_command_pins_host_key(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path / "data folder", ports=Ports(100))
    demo.prepare(stack, progress=Progress())
    _make_host_key(stack)
    known_hosts = stack.write_sftp_known_hosts()

    example = sftp_lines(stack)[-1]

    prefix = "  for example: "
    assert example.startswith(prefix)
    words = shlex.split(example.removeprefix(prefix))
    assert words == [
        "sftp",
        "-P",
        "2322",
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-i",
        str(demo.sftp_key_path(stack)),
        f"{demo.STATEMENT_USER}@127.0.0.1",
    ]


def test_sftp_lines_no_command_without_known_hosts(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    demo.prepare(stack, progress=Progress())
    _make_host_key(stack)

    lines = sftp_lines(stack)

    assert not any("for example" in line for line in lines)
