"""The parse command stops quietly when the reader of its output closes early."""

import subprocess
import sys
from pathlib import Path

# Far more JSON than a pipe buffers (64 KiB on Linux), so the command is still
# writing when the reader closes its end.
TRANSACTION_COUNT = 3000


def _write_long_statement(path: Path) -> None:
    lines = [":20:PIPE", ":25:NL91ABNA0417164300", ":28C:1/1", ":60F:C261203EUR0,00"]
    for number in range(TRANSACTION_COUNT):
        lines.append(f":61:2612031203C1,00NTRFREF{number:06d}")
        lines.append(f":86:transfer number {number}")
    lines += [f":62F:C261203EUR{TRANSACTION_COUNT},00", "-"]
    path.write_text("\r\n".join(lines) + "\r\n", newline="")


def _read_first_line_and_close(path: Path) -> tuple[str, int, str]:
    """Run the parse command, read one line of its stdout and close the pipe.

    Return that line, the exit status and everything the command wrote to stderr.
    """
    with subprocess.Popen(  # noqa: S603 - the interpreter running the tests
        [sys.executable, "-m", "recon_ingest.parsers", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first_line = process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read()
        returncode = process.wait(timeout=60)
    return first_line, returncode, stderr


def test_cli_reader_closes_after_first_line(tmp_path: Path) -> None:
    path = tmp_path / "long.sta"
    _write_long_statement(path)

    first_line, returncode, stderr = _read_first_line_and_close(path)

    assert first_line == "{\n"
    assert returncode == 141
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr


def test_cli_piped_into_head_exits_141(tmp_path: Path) -> None:
    path = tmp_path / "long.sta"
    _write_long_statement(path)
    script = (
        f'"{sys.executable}" -m recon_ingest.parsers "{path}" | head -n 1\n'
        'echo "parse status ${PIPESTATUS[0]}" >&2\n'
    )

    completed = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.stdout == "{\n"
    assert completed.stderr == "parse status 141\n"
