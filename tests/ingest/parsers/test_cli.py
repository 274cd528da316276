import json
import subprocess
import sys
from pathlib import Path

import yaml

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


BANK_CSV = (
    "Buchungstag;Betrag;Waehrung;Konto;Referenz\n"
    "03.12.2026;-1.250,00;EUR;DE02120300000000202051;INV-77\n"
)
BANK_PROFILE = """\
bank-export:
  date_column: Buchungstag
  date_format: "%d.%m.%Y"
  separator: ";"
  decimal_mark: ","
  thousands_separator: "."
  amount_column: Betrag
  currency_column: Waehrung
  account_column: Konto
  reference_column: Referenz
"""


def test_cli_csv_profile_option(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(BANK_CSV)
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(BANK_PROFILE)

    completed = run_cli(str(path), "--csv-profile", str(profiles))

    output = json.loads(completed.stdout)
    assert completed.returncode == 0, completed.stderr
    assert output["source_format"] == "csv"
    assert output["transactions"][0]["amount"] == "1250.00"
    assert output["transactions"][0]["direction"] == "debit"
    assert output["transactions"][0]["customer_reference"] == "INV-77"


def test_cli_csv_profile_json_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(BANK_CSV)
    profiles = tmp_path / "profiles.json"
    profiles.write_text(json.dumps(yaml.safe_load(BANK_PROFILE)))

    completed = run_cli(str(path), "--csv-profile", str(profiles))

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["transactions"][0]["currency"] == "EUR"


def test_cli_csv_without_profile_hints_option(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(BANK_CSV)

    completed = run_cli(str(path))

    assert completed.returncode == 1
    assert "Check the CSV profile" in completed.stderr
    assert "--csv-profile PROFILES_FILE" in completed.stderr


def test_cli_csv_profile_name_required_for_several(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(BANK_CSV)
    profiles = tmp_path / "profiles.yaml"
    second = BANK_PROFILE.replace("bank-export:", "other-export:")
    profiles.write_text(BANK_PROFILE + second)

    without_name = run_cli(str(path), "--csv-profile", str(profiles))
    with_name = run_cli(
        str(path),
        "--csv-profile",
        str(profiles),
        "--csv-profile-name",
        "other-export",
    )

    assert without_name.returncode == 2
    assert "2 profiles (bank-export, other-export)" in without_name.stderr
    assert "--csv-profile-name NAME" in without_name.stderr
    assert with_name.returncode == 0, with_name.stderr


def test_cli_csv_profile_unknown_name_rejected(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(BANK_CSV)
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(BANK_PROFILE)

    completed = run_cli(
        str(path), "--csv-profile", str(profiles), "--csv-profile-name", "bank"
    )

    assert completed.returncode == 2
    assert "has no profile 'bank'; it contains bank-export" in completed.stderr
    assert completed.stdout == ""


def test_cli_csv_profile_invalid_mapping_rejected(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(BANK_CSV)
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(BANK_PROFILE.replace("  currency_column: Waehrung\n", ""))

    completed = run_cli(str(path), "--csv-profile", str(profiles))

    assert completed.returncode == 2
    assert "exactly one of currency_column or currency" in completed.stderr
