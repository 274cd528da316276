"""SFTP users: who may log in, with which keys or password, into which folder.

The users file is YAML:

    users:
      - username: correspondent-ing
        public_keys:
          - ssh-ed25519 AAAAC3Nza... ops@bank.example
        password_hash: scrypt$32768$8$1$...   # optional: recon-ingest hash-password
        csv_profile: ledger                  # optional, for CSV uploads of this user

Accepted key types are Ed25519, ECDSA and RSA of at least 3072 bits.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from recon_common.errors import InvalidRequest

MIN_RSA_BITS = 3072
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class InvalidUsersFile(InvalidRequest):
    """The SFTP users file cannot be used."""


@dataclass(frozen=True)
class SftpUser:
    username: str
    public_keys: list[asyncssh.SSHKey] = field(default_factory=list)
    password_hash: str | None = None
    csv_profile: str | None = None


def check_key_strength(key: asyncssh.SSHKey, *, where: str) -> None:
    """Raise if `key` is of a type or size the server does not accept."""
    algorithm = key.get_algorithm()
    if algorithm in {"ssh-ed25519", "ssh-ed448"} or algorithm.startswith("ecdsa-"):
        return
    if algorithm == "ssh-rsa" and isinstance(
        key.pyca_key, rsa.RSAPublicKey | rsa.RSAPrivateKey
    ):
        bits = key.pyca_key.key_size
        if bits < MIN_RSA_BITS:
            raise InvalidUsersFile(
                f"{where}: RSA key has {bits} bits; at least {MIN_RSA_BITS} are "
                "required, or use an Ed25519 key"
            )
        return
    raise InvalidUsersFile(
        f"{where}: key type {algorithm} is not accepted; use Ed25519, ECDSA or RSA "
        f"of at least {MIN_RSA_BITS} bits"
    )


def load_users(path: Path) -> dict[str, SftpUser]:
    """Read and validate the users file. A missing file means no users."""
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InvalidUsersFile(f"{path}: invalid YAML: {exc}") from exc
    entries = raw.get("users", []) if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise InvalidUsersFile(f"{path}: expected a mapping with a 'users' list")
    users: dict[str, SftpUser] = {}
    for index, entry in enumerate(entries, start=1):
        user = _parse_user(entry, where=f"{path}: user {index}")
        if user.username in users:
            raise InvalidUsersFile(f"{path}: user {user.username!r} is listed twice")
        users[user.username] = user
    return users


def _parse_user(entry: object, *, where: str) -> SftpUser:
    if not isinstance(entry, dict):
        raise InvalidUsersFile(f"{where}: expected a mapping")
    username = str(entry.get("username", ""))
    if not _USERNAME.match(username):
        raise InvalidUsersFile(
            f"{where}: invalid username {username!r}; use lower-case letters, digits, "
            "'.', '_' or '-'"
        )
    keys: list[asyncssh.SSHKey] = []
    for number, text in enumerate(entry.get("public_keys") or [], start=1):
        key_where = f"{where} ({username}), key {number}"
        try:
            key = asyncssh.import_public_key(str(text))
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise InvalidUsersFile(f"{key_where}: invalid public key: {exc}") from exc
        check_key_strength(key, where=key_where)
        keys.append(key)
    password_hash = entry.get("password_hash")
    if not keys and not password_hash:
        raise InvalidUsersFile(
            f"{where} ({username}): give public_keys or password_hash"
        )
    return SftpUser(
        username=username,
        public_keys=keys,
        password_hash=str(password_hash) if password_hash else None,
        csv_profile=entry.get("csv_profile"),
    )
