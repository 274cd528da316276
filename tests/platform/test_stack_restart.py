"""Tests for `LocalStack.up` on a data folder where part of the platform still runs.

The cheap tests write pid files that name this test's own process, which the stack
treats as a running service, and check what `up` rejects before it starts anything.
The last test starts the five real services on the session's Kafka broker, kills
the matcher and runs `up` again.
"""

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import httpx
import pytest

from recon_platform import demo
from recon_platform.stack import (
    SERVICE_ORDER,
    LocalStack,
    Ports,
    Progress,
    StackError,
)

# A bootstrap address that nothing listens on. `up` never connects to it in the
# tests that use it, because they start no service.
UNUSED_BOOTSTRAP = "127.0.0.1:1"


@pytest.fixture(autouse=True)
def _no_offset_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)


def _write_running(stack: LocalStack, services: tuple[str, ...], offset: int) -> None:
    """Record this test's process as the given services, started on `offset`."""
    stack.run_dir.mkdir(parents=True, exist_ok=True)
    for service in services:
        stack.pid_file(service).write_text(str(os.getpid()))
    stack.offset_file().write_text(f"{offset}\n")


def test_up_other_offset_names_both(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(100), kafka_bootstrap=UNUSED_BOOTSTRAP)
    _write_running(stack, ("keyvault", "audit"), offset=700)
    messages: list[str] = []

    with pytest.raises(StackError) as caught:
        stack.up(progress=messages.append)

    message = str(caught.value)
    assert "on port offset 700 (keyvault, audit running)" in message
    assert "not on the requested port offset 100" in message
    assert "set RECON_PORT_OFFSET=700 or unset it" in message
    assert "run `recon down` first" in message
    assert messages == []
    assert not stack.pid_file("matcher").exists()
    assert stack.offset_file().read_text() == "700\n"


def test_up_other_offset_all_running_raises(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(100), kafka_bootstrap=UNUSED_BOOTSTRAP)
    _write_running(stack, SERVICE_ORDER, offset=0)

    with pytest.raises(StackError, match="on port offset 0 "):
        stack.up(progress=print)


def test_up_all_running_starts_nothing(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(300), kafka_bootstrap=UNUSED_BOOTSTRAP)
    _write_running(stack, SERVICE_ORDER, offset=300)
    stack.service_dir("ingest").mkdir(parents=True)
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(
        str(stack.sftp_host_key())
    )
    messages: list[str] = []

    stack.up(progress=messages.append)

    assert messages == [
        f"the platform already runs from {stack.data_dir} on port offset 300; "
        "nothing to start"
    ]
    for service in SERVICE_ORDER:
        assert stack.running_pid(service) == os.getpid()
    known_hosts = stack.sftp_known_hosts_file().read_text()
    assert known_hosts.startswith("[127.0.0.1]:2522 ssh-ed25519 ")


def test_up_taken_port_of_stopped_service(tmp_path: Path) -> None:
    stack = LocalStack(
        tmp_path, ports=Ports.find_free(), kafka_bootstrap=UNUSED_BOOTSTRAP
    )
    running = tuple(service for service in SERVICE_ORDER if service != "matcher")
    _write_running(stack, running, offset=stack.ports.offset)
    # A dead process id, as a crash leaves it. Linux assigns process ids below
    # pid_max, which is at most 2**22.
    stack.pid_file("matcher").write_text(str(2**22 + 1))

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", stack.ports.of("matcher")))
        taken.listen()
        with pytest.raises(StackError) as caught:
            stack.up(progress=print)

    message = str(caught.value)
    port = stack.ports.of("matcher")
    assert message.startswith(f"port {port} (matcher) is in use by another program")
    assert "run `recon down` and start the platform on other ports" in message
    assert stack.pid_file("matcher").read_text() == str(2**22 + 1)


def _pids(stack: LocalStack) -> dict[str, int | None]:
    return {service: stack.running_pid(service) for service in SERVICE_ORDER}


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """Return a data folder, and stop whatever still runs from it after the test."""
    yield tmp_path
    LocalStack(tmp_path).down(progress=print)


def test_up_after_crash_and_down(data_dir: Path, kafka_bootstrap: str) -> None:
    tmp_path = data_dir
    prefix = f"restart{uuid.uuid4().hex[:8]}-"
    ports = Ports.find_free()
    first = LocalStack(
        tmp_path, ports=ports, topic_prefix=prefix, kafka_bootstrap=kafka_bootstrap
    )
    demo.prepare(first, progress=Progress())
    first.up(progress=print)
    before = _pids(first)
    crashed_pid = before["matcher"]
    assert crashed_pid is not None
    first.kill_service("matcher")
    # A crash leaves the pid file behind, naming the dead process.
    first.pid_file("matcher").write_text(str(crashed_pid))
    # Each later step is a new command that reads the offset from the data folder.
    second = LocalStack(tmp_path, topic_prefix=prefix, kafka_bootstrap=kafka_bootstrap)
    messages: list[str] = []

    try:
        second.up(progress=messages.append)
        after = _pids(second)
        matcher_ready = httpx.get(f"{second.url('matcher')}/readyz", timeout=10.0)
    finally:
        second.down(progress=print)
    stopped = _pids(second)
    third = LocalStack(tmp_path, topic_prefix=prefix, kafka_bootstrap=kafka_bootstrap)
    try:
        third.up(progress=print)
        states = third.status()
    finally:
        third.down(progress=print)
    # Reap the services that `first` started and `second` stopped.
    first.down(progress=print)

    assert second.ports == ports
    assert "already running: keyvault, audit, ingest, reporting" in messages
    assert "started matcher; waiting until it is ready" in messages
    for service in ("keyvault", "audit", "ingest", "reporting"):
        assert after[service] == before[service]
    assert after["matcher"] is not None
    assert after["matcher"] != crashed_pid
    assert matcher_ready.status_code == 200
    assert all(pid is None for pid in stopped.values())
    assert third.offset_from_last_run is True
    assert third.ports == ports
    for service in SERVICE_ORDER:
        assert states[service] == f"ready on {first.url(service)}"
