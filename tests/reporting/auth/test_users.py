"""Tests for password hashing, the users file, the initial user and add-user."""

import io
import json
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from recon_common.settings import Environment
from recon_reporting.app import create_app
from recon_reporting.auth.cli import add_user
from recon_reporting.auth.passwords import hash_password, verify_password
from recon_reporting.auth.users import read_users
from recon_reporting.settings import ReportingSettings
from structlog.testing import capture_logs

from tests.reporting.conftest import make_client


def test_verify_password_accepts_only_the_password() -> None:
    stored = hash_password("s3cret-passphrase", n=2**10)

    assert verify_password("s3cret-passphrase", stored)
    assert not verify_password("s3cret-passphrasE", stored)


def test_settings_placeholder_secret_rejected_outside_development() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        ReportingSettings(environment=Environment.PRODUCTION)


def test_settings_short_secret_rejected_in_test() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        ReportingSettings(
            environment=Environment.TEST, session_secret=SecretStr("x" * 10)
        )


def test_add_user_writes_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "users.json"
    settings = ReportingSettings(users_file=path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))

    status = add_user(["--username", "nina", "--role", "auditor"], settings=settings)

    assert status == 0
    user = read_users(path)["nina"]
    assert user.role == "auditor"
    assert verify_password("a long enough password", user.password_hash)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_add_user_short_password_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ReportingSettings(users_file=tmp_path / "users.json")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))

    status = add_user(["--username", "nina", "--role", "viewer"], settings=settings)

    assert status == 2
    assert not (tmp_path / "users.json").exists()


async def test_development_start_creates_initial_user(
    tmp_path: Path, database_url: str
) -> None:
    users_file = tmp_path / "conf" / "users.json"
    settings = ReportingSettings(
        environment=Environment.DEVELOPMENT,
        database_url=SecretStr(database_url),
        users_file=users_file,
    )
    app = create_app(settings, start_kafka=False)

    with capture_logs() as logs:
        async with app.router.lifespan_context(app), make_client(app) as http:
            password_file = users_file.parent / "initial-password.txt"
            password = password_file.read_text().strip()
            response = await http.post(
                "/login", data={"username": "operator", "password": password}
            )

    assert response.status_code == 303
    assert json.loads(users_file.read_text())["users"][0]["role"] == "operator"
    created = [e for e in logs if e["event"] == "reporting.initial_user.created"]
    assert created[0]["password_file"] == str(password_file)
    assert all(password not in str(entry) for entry in logs)
