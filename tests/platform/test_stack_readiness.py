"""Tests for `LocalStack.wait_until_ready` against real HTTP servers on loopback.

Each service is a `python -m http.server` process serving a folder. It returns
200 for `/readyz` once a file named `readyz` exists there, and 404 before.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from recon_platform import stack as stack_module
from recon_platform.service_logs import last_exception
from recon_platform.stack import LocalStack, Ports, StackError

SERVICES = ("keyvault", "audit")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    """Start one HTTP server per service, with pid files where the stack reads them."""
    local = LocalStack(tmp_path / "data", ports=Ports.find_free())
    local.run_dir.mkdir(parents=True)
    servers = []
    for service in SERVICES:
        folder = tmp_path / service
        folder.mkdir()
        server = subprocess.Popen(  # noqa: S603 - the test's own interpreter
            [
                sys.executable,
                "-m",
                "http.server",
                str(local.ports.of(service)),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.append(server)
        local.pid_file(service).write_text(str(server.pid))
    yield local
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


def _mark_ready(tmp_path: Path, service: str) -> None:
    (tmp_path / service / "readyz").write_text("ok")


def test_wait_reports_services_in_ready_order(
    stack: LocalStack, tmp_path: Path
) -> None:
    _mark_ready(tmp_path, "audit")
    messages: list[str] = []

    def progress(message: str) -> None:
        messages.append(message)
        if message.startswith("audit ready"):
            _mark_ready(tmp_path, "keyvault")

    stack.wait_until_ready(SERVICES, progress=progress, timeout_s=30.0)

    ready = [message for message in messages if " ready on " in message]
    assert len(ready) == 2
    assert ready[0].startswith(f"audit ready on {stack.url('audit')} after ")
    assert ready[1].startswith(f"keyvault ready on {stack.url('keyvault')} after ")
    assert ready[1].endswith(" s")


def test_wait_reports_services_still_starting(
    stack: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack_module, "PROGRESS_INTERVAL_S", 0.2)
    _mark_ready(tmp_path, "audit")
    messages: list[str] = []

    def progress(message: str) -> None:
        messages.append(message)
        if message.startswith("still waiting"):
            _mark_ready(tmp_path, "keyvault")

    stack.wait_until_ready(SERVICES, progress=progress, timeout_s=30.0)

    assert "still waiting for keyvault" in messages
    assert messages[-1].startswith("keyvault ready on ")


def test_wait_timeout_names_waiting_service(stack: LocalStack, tmp_path: Path) -> None:
    _mark_ready(tmp_path, "audit")

    with pytest.raises(StackError) as caught:
        stack.wait_until_ready(SERVICES, progress=None, timeout_s=1.0)

    message = str(caught.value)
    assert message.startswith("keyvault not ready after 1 s (keyvault: HTTP 404")
    assert str(stack.logs_dir / "keyvault.log") in message
    assert "audit:" not in message


def test_wait_exited_service_raises(stack: LocalStack) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    finished.wait(timeout=30)
    stack.pid_file("audit").write_text(str(finished.pid))

    with pytest.raises(StackError, match="audit exited during start-up"):
        stack.wait_until_ready(SERVICES, progress=None, timeout_s=30.0)


def _traceback(message: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/main.py", line 3, in <module>\n'
        "    start()\n"
        "    ^^^^^^^\n"
        f"recon_matcher.definitions.loader.DefinitionError: {message}"
    )


def _json_line(event: str, level: str = "error") -> str:
    return json.dumps({"event": event, "service": "matcher", "level": level}) + "\n"


def test_last_exception_reads_from_start(tmp_path: Path) -> None:
    log = tmp_path / "matcher.log"
    earlier = _json_line(_traceback("an earlier failure"))
    log.write_text(earlier + _json_line("Started server process", "info"))
    start = log.stat().st_size
    with log.open("a") as file:
        file.write(_json_line(_traceback("defs.yaml: 1 invalid value(s)\n  id: bad")))
        file.write(_json_line("Application startup failed. Exiting."))

    found = last_exception(log, start=start)

    assert found == (
        "recon_matcher.definitions.loader.DefinitionError: defs.yaml: 1 invalid "
        "value(s)\n  id: bad"
    )


def test_last_exception_of_plain_traceback(tmp_path: Path) -> None:
    log = tmp_path / "matcher.log"
    log.write_text(_traceback("no database URL") + "\n" + _json_line("later"))

    assert last_exception(log) == (
        "recon_matcher.definitions.loader.DefinitionError: no database URL"
    )


def test_last_exception_without_traceback(tmp_path: Path) -> None:
    log = tmp_path / "matcher.log"
    log.write_text(_json_line("Started server process", "info"))

    assert last_exception(log) is None
    assert last_exception(tmp_path / "missing.log") is None


def test_wait_exited_service_shows_exception(stack: LocalStack) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    finished.wait(timeout=30)
    stack.pid_file("audit").write_text(str(finished.pid))
    stack.logs_dir.mkdir(parents=True, exist_ok=True)
    (stack.logs_dir / "audit.log").write_text(_json_line(_traceback("bad file")))

    with pytest.raises(StackError) as caught:
        stack.wait_until_ready(SERVICES, progress=None, timeout_s=30.0)

    message = str(caught.value)
    assert message.startswith("audit exited during start-up:\n")
    assert "DefinitionError: bad file\n" in message
    assert "run `recon up` again" in message
