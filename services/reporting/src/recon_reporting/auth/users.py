"""Local users of the embedded default, kept in a JSON file.

The file is a JSON object `{"users": [{"username", "password_hash", "role"}]}`,
written by `recon-reporting add-user` with mode 0600. The service rereads it when its
modification time changes, so a new user or role applies without a restart.
"""

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import structlog

from recon_reporting.auth.passwords import hash_password
from recon_reporting.auth.roles import Role

log = structlog.get_logger(__name__)

INITIAL_USERNAME = "operator"
INITIAL_PASSWORD_FILENAME = "initial-password.txt"  # noqa: S105 - a file name


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated person: username and role."""

    username: str
    role: Role


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A user entry of the users file."""

    username: str
    password_hash: str
    role: Role


class UsersFileError(ValueError):
    """A users file that cannot be read."""


def read_users(path: Path) -> dict[str, StoredUser]:
    """Read the users file at `path`, where a missing file means no users."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsersFileError(f"cannot read users file {path}: {exc}") from exc
    users: dict[str, StoredUser] = {}
    for index, entry in enumerate(document.get("users", [])):
        try:
            user = StoredUser(
                username=str(entry["username"]),
                password_hash=str(entry["password_hash"]),
                role=Role(entry["role"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UsersFileError(
                f"invalid user entry {index} in {path}: {exc}; each entry needs "
                f"username, password_hash and one of the roles "
                f"{', '.join(Role)}"
            ) from None
        users[user.username] = user
    return users


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_user(path: Path, user: StoredUser) -> bool:
    """Add or replace `user` in the users file and return whether it was new."""
    users = read_users(path)
    created = user.username not in users
    users[user.username] = user
    document = {
        "users": [
            {
                "username": entry.username,
                "password_hash": entry.password_hash,
                "role": entry.role.value,
            }
            for entry in sorted(users.values(), key=lambda item: item.username)
        ]
    }
    _write_private(path, json.dumps(document, indent=2) + "\n")
    return created


def create_initial_user(path: Path) -> str | None:
    """Create the users file with an `operator` user if it does not exist yet.

    Return the random password, which is also written to `initial-password.txt`
    next to the users file, or None when the users file already exists.
    """
    if path.exists():
        return None
    password = secrets.token_urlsafe(18)
    save_user(
        path,
        StoredUser(
            username=INITIAL_USERNAME,
            password_hash=hash_password(password),
            role=Role.OPERATOR,
        ),
    )
    _write_private(path.parent / INITIAL_PASSWORD_FILENAME, password + "\n")
    return password


class UserStore:
    """The users file, reread when it changes on disk."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._users: dict[str, StoredUser] = {}
        self._stamp: tuple[int, int] | None = None

    def get(self, username: str) -> StoredUser | None:
        """Return the stored user called `username`, if there is one."""
        self._reload_if_changed()
        return self._users.get(username)

    def _reload_if_changed(self) -> None:
        try:
            status = self._path.stat()
        except FileNotFoundError:
            self._users, self._stamp = {}, None
            return
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp == self._stamp:
            return
        self._users = read_users(self._path)
        self._stamp = stamp
        log.info("reporting.users.loaded", path=str(self._path), count=len(self._users))
