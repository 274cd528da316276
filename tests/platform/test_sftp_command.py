"""The `sftp` command that `recon` prints works without a terminal and checks the key.

The key broker and the ingest service start as the local stack starts them, on SQLite
and the session's Kafka broker. The printed command then runs with OpenSSH's
`sftp -b` in a new session, so `ssh` has no terminal to prompt the user on.
"""

import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from recon_platform import demo
from recon_platform.cli import sftp_lines
from recon_platform.stack import LocalStack, Ports, Progress

pytestmark = [pytest.mark.slow, pytest.mark.kafka]

STATEMENT = (
    ":20:BY-HAND\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n"
    ":60F:C261203EUR0,00\r\n:61:2612031203C5,00NTRFNONREF\r\n"
    ":62F:C261203EUR5,00\r\n-\r\n"
)


@dataclass(frozen=True)
class IngestStack:
    """A running key broker and ingest service, and the demo day written for them."""

    stack: LocalStack
    day: demo.DemoDay


@pytest.fixture(scope="module")
def ingest(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IngestStack]:
    """Start the key broker and the ingest service with the demo's SFTP users."""
    stack = LocalStack(
        tmp_path_factory.mktemp("sftp-stack"),
        ports=Ports.find_free(),
        topic_prefix=f"t{uuid.uuid4().hex[:10]}-",
        kafka_bootstrap=kafka_bootstrap,
    )
    progress = Progress()
    day = demo.prepare(stack, progress=progress)
    try:
        stack.start_service("keyvault")
        stack.start_service("ingest")
        yield IngestStack(stack, day)
    finally:
        stack.down(progress=progress)


def _printed_command(stack: LocalStack) -> list[str]:
    """Return the example `sftp` command of `recon`'s output as words."""
    prefix = "  for example: "
    examples = [line for line in sftp_lines(stack) if line.startswith(prefix)]
    assert len(examples) == 1
    return shlex.split(examples[0].removeprefix(prefix))


def _run_batch(
    command: list[str], batch_lines: list[str], folder: Path
) -> subprocess.CompletedProcess[str]:
    """Run `command` with `sftp -b`, no standard input and no controlling terminal."""
    batch = folder / f"batch-{uuid.uuid4().hex[:8]}"
    batch.write_text("\n".join(batch_lines) + "\n")
    return subprocess.run(  # noqa: S603 - the command under test
        [command[0], "-b", str(batch), *command[1:]],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
        check=False,
    )


def _wait_until_landed(stack: LocalStack, filename: str, *, timeout_s: float) -> bool:
    """Poll the ingest service's file list until `filename` is in it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{stack.url('ingest')}/v1/files?limit=500",
            headers=stack.service_headers(),
            timeout=10.0,
        )
        response.raise_for_status()
        if filename in {item["filename"] for item in response.json()["files"]}:
            return True
        time.sleep(0.5)
    return False


def test_printed_sftp_command_uploads_file(ingest: IngestStack, tmp_path: Path) -> None:
    stack = ingest.stack
    statement = tmp_path / "by-hand.sta"
    statement.write_text(STATEMENT, newline="")
    command = _printed_command(stack)

    result = _run_batch(command, [f"put {statement}"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Host key verification failed" not in result.stderr
    assert _wait_until_landed(stack, "by-hand.sta", timeout_s=30.0)


def test_printed_sftp_command_rejects_other_host_key(
    ingest: IngestStack, tmp_path: Path
) -> None:
    stack = ingest.stack
    other_key = tmp_path / "other-host-key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)],
        check=True,
        timeout=30,
    )
    port = stack.ports.of("sftp")
    other_public = other_key.with_suffix(".pub").read_text().strip()
    other_known_hosts = tmp_path / "known_hosts"
    other_known_hosts.write_text(f"[127.0.0.1]:{port} {other_public}\n")
    pinned = f"UserKnownHostsFile={stack.sftp_known_hosts_file()}"
    command = [
        f"UserKnownHostsFile={other_known_hosts}" if word == pinned else word
        for word in _printed_command(stack)
    ]

    result = _run_batch(command, ["ls"], tmp_path)

    assert str(other_known_hosts) in " ".join(command)
    assert result.returncode != 0
    assert "Host key verification failed" in result.stderr


def test_demo_upload_uses_known_hosts(ingest: IngestStack) -> None:
    day = ingest.day

    demo.run_upload(ingest.stack, day, progress=Progress())

    for path in day.all_files:
        assert _wait_until_landed(ingest.stack, path.name, timeout_s=30.0)
