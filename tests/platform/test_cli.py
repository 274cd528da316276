"""Tests for what `recon` prints: follow-up commands, SFTP access, status."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recon_platform import demo
from recon_platform.cli import main, recon_command, sftp_lines
from recon_platform.infra.kafka import KafkaBroker
from recon_platform.stack import LocalStack, Ports, Progress


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECON_DATA_DIR", raising=False)
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)


def test_recon_command_default_stack(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)

    command = recon_command("down", stack=stack, data_dir_option=None)

    assert command == ".venv/bin/recon down"


def test_recon_command_repeats_port_offset(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(100))

    command = recon_command("status", stack=stack, data_dir_option=None)

    assert command == "RECON_PORT_OFFSET=100 .venv/bin/recon status"


def test_recon_command_reads_offset_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "300")
    stack = LocalStack(tmp_path)

    command = recon_command("down", stack=stack, data_dir_option=None)

    assert command == "RECON_PORT_OFFSET=300 .venv/bin/recon down"


def test_recon_command_repeats_data_dir_option(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(100))

    command = recon_command("down", stack=stack, data_dir_option="my data")

    assert command == (
        "RECON_PORT_OFFSET=100 .venv/bin/recon --data-dir 'my data' down"
    )


def test_recon_command_repeats_data_dir_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_DATA_DIR", "/srv/recon")
    stack = LocalStack(tmp_path)

    command = recon_command("status", stack=stack, data_dir_option=None)

    assert command == "RECON_DATA_DIR=/srv/recon .venv/bin/recon status"


def test_sftp_lines_before_demo_files(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(100))

    lines = sftp_lines(stack)

    assert lines[0] == "SFTP: host 127.0.0.1, port 2322"
    assert str(tmp_path / "ingest" / "sftp-users.yaml") in lines[1]
    assert str(tmp_path / "ingest" / "sftp" / "home" / "<user>") in lines[2]
    assert len(lines) == 3


def test_sftp_lines_name_demo_users_and_key(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, ports=Ports(100))
    demo.prepare(stack, progress=Progress())
    key = tmp_path / "demo" / "sftp-key"
    known_hosts = tmp_path / "ingest" / "known_hosts"
    known_hosts.write_text("")

    lines = sftp_lines(stack)

    assert f"  users: {demo.STATEMENT_USER}, {demo.LEDGER_USER}" in lines
    example = (
        f"sftp -P 2322 -o UserKnownHostsFile={known_hosts} "
        f"-o StrictHostKeyChecking=yes -i {key} {demo.STATEMENT_USER}@127.0.0.1"
    )
    assert lines[-1] == f"  for example: {example}"
    assert stack.environment("ingest", bootstrap="127.0.0.1:1")[
        "INGEST_SFTP_USERS_FILE"
    ] == str(stack.sftp_users_file())


def test_status_of_stopped_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data-dir", str(tmp_path), "status"])

    output = capsys.readouterr().out
    assert code == 3
    assert "ingest     stopped" in output
    assert "SFTP" not in output


def test_help_names_port_offset(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    output = capsys.readouterr().out
    assert exited.value.code == 0
    assert "RECON_PORT_OFFSET=N" in output
    assert "sftp 2222" in output
    assert "reporting 8080" in output
    assert "kafka 19092" in output


def test_help_names_log_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = LocalStack(tmp_path)

    with pytest.raises(SystemExit):
        main(["--help"])

    output = capsys.readouterr().out
    assert "<data>/logs/<service>.log" in output
    assert "<data>/kafka/broker.log" in output
    assert stack.logs_dir == tmp_path / "logs"
    assert KafkaBroker(stack.kafka_dir).log_file == tmp_path / "kafka" / "broker.log"


def test_status_into_closed_pipe_exits_141(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)

    try:
        completed = subprocess.run(  # noqa: S603 - the interpreter running the tests
            [
                sys.executable,
                "-m",
                "recon_platform.cli",
                "--data-dir",
                str(tmp_path),
                "status",
            ],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)

    assert completed.returncode == 141
    assert "Traceback" not in completed.stderr
    assert "BrokenPipeError" not in completed.stderr


def _sleeping_process() -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - the interpreter running the tests
        [sys.executable, "-c", "import time; time.sleep(60)"]
    )


def test_down_uses_last_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = LocalStack(tmp_path, ports=Ports(900))
    stack.run_dir.mkdir(parents=True)
    stack.offset_file().write_text("900\n")
    matcher = _sleeping_process()
    stack.pid_file("matcher").write_text(str(matcher.pid))

    try:
        code = main(["--data-dir", str(tmp_path), "down"])
        exit_code = matcher.wait(timeout=30)
    finally:
        matcher.kill()
        matcher.wait(timeout=30)

    captured = capsys.readouterr()
    assert code == 0
    assert exit_code == -15
    assert "matcher stopped" in captured.out
    assert captured.err == (
        f"using port offset 900 from the last run of {tmp_path.resolve()} "
        "(set RECON_PORT_OFFSET to change it)\n"
    )
    assert stack.offset_file().read_text() == "900\n"


def test_status_after_down_uses_last_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "port-offset").write_text("900\n")

    code = main(["--data-dir", str(tmp_path), "status"])

    captured = capsys.readouterr()
    assert code == 3
    assert "using port offset 900 from the last run of " in captured.err
    assert "(set RECON_PORT_OFFSET to change it)" in captured.err
    assert "matcher    stopped" in captured.out


def test_status_offset_variable_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "100")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "port-offset").write_text("900\n")

    code = main(["--data-dir", str(tmp_path), "status"])

    captured = capsys.readouterr()
    assert code == 3
    assert captured.err == ""


def test_up_other_offset_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "100")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "port-offset").write_text("900\n")
    (run_dir / "audit.pid").write_text(str(os.getpid()))

    code = main(["--data-dir", str(tmp_path), "up"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith(
        f"error: the platform already runs from {tmp_path.resolve()} on port "
        "offset 900 (audit running), not on the requested port offset 100."
    )
    assert "set RECON_PORT_OFFSET=900 or unset it" in captured.err
    assert captured.out == ""


def test_up_invalid_offset_variable_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "a lot")

    code = main(["--data-dir", str(tmp_path), "up"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err == (
        "error: invalid port offset 'a lot' in RECON_PORT_OFFSET: expected a whole "
        "number such as 100\n"
    )
