"""The local stack's web users file, as the README describes it.

The stack names the file `users.yaml`, but the reporting service reads and writes
JSON. `recon-reporting add-user` changes it, and the running service's user store
sees the change at the next lookup, without a restart.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from recon_reporting.auth.roles import Role
from recon_reporting.auth.users import UserStore, create_initial_user

from recon_platform.stack import LocalStack

PASSWORD = "a password long enough"


def _add_user(users_file: Path, *, username: str, role: str) -> int:
    """Run the README's add-user command with the password on stdin."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPORTING_")
    }
    environment["REPORTING_USERS_FILE"] = str(users_file)
    completed = subprocess.run(  # noqa: S603 - the workspace's own console script
        [
            str(Path(sys.executable).parent / "recon-reporting"),
            "add-user",
            "--username",
            username,
            "--role",
            role,
        ],
        input=PASSWORD + "\n",
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.stderr == ""
    return completed.returncode


def _stack_users_file(stack: LocalStack) -> Path:
    environment = stack.environment("reporting", bootstrap="127.0.0.1:1")
    return Path(environment["REPORTING_USERS_FILE"])


def test_users_file_path_is_data_reporting(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)

    users_file = _stack_users_file(stack)

    assert users_file == tmp_path / "reporting" / "users.yaml"


def test_users_file_written_as_json(tmp_path: Path) -> None:
    users_file = _stack_users_file(LocalStack(tmp_path))
    create_initial_user(users_file)

    returncode = _add_user(users_file, username="alice", role="auditor")

    document = json.loads(users_file.read_text())
    entries = {entry["username"]: entry for entry in document["users"]}
    assert returncode == 0
    assert set(entries) == {"alice", "operator"}
    assert entries["alice"]["role"] == "auditor"
    assert users_file.stat().st_mode & 0o777 == 0o600


def test_add_user_applies_without_restart(tmp_path: Path) -> None:
    users_file = _stack_users_file(LocalStack(tmp_path))
    create_initial_user(users_file)
    store = UserStore(users_file)
    before = store.get("alice")

    returncode = _add_user(users_file, username="alice", role="auditor")

    after = store.get("alice")
    assert returncode == 0
    assert before is None
    assert after is not None
    assert after.role is Role.AUDITOR
