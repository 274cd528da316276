import json
import subprocess
import sys
from pathlib import Path

STATEMENT = b""":20:CLI
:25:12345
:60F:C240301EUR0,00
:61:2403010301C5,00NTRFNONREF
:62F:C240301EUR5,00
"""


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m recon_ingest.parsers` with `arguments`."""
    return subprocess.run(
        [sys.executable, "-m", "recon_ingest.parsers", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_prints_json(tmp_path: Path) -> None:
    path = tmp_path / "statement.sta"
    path.write_bytes(STATEMENT)

    completed = run_cli(str(path))

    output = json.loads(completed.stdout)
    assert completed.returncode == 0
    assert output["source_format"] == "mt940"
    assert output["transactions"][0]["amount"] == "5.00"
    assert output["statements"][0]["balance_checked"] is True


def test_cli_rejection_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "statement.sta"
    path.write_bytes(STATEMENT.replace(b"C5,00NTRF", b"C5,0,0NTRF"))

    completed = run_cli(str(path), "--format", "mt940")

    assert completed.returncode == 1
    assert completed.stdout == ""
    assert 'line 4: :61: amount "5,0,0" is not a number' in completed.stderr


def test_cli_encoding_option(tmp_path: Path) -> None:
    path = tmp_path / "statement.sta"
    path.write_bytes(STATEMENT + b":86:D\xa1j\n")

    completed = run_cli(str(path), "--encoding", "cp852")

    assert completed.returncode == 0
    assert json.loads(completed.stdout)["encoding"] == "cp852"
