"""Password hashing with scrypt from the standard library.

A hash is stored as `scrypt$<n>$<r>$<p>$<salt>$<key>` with base64 salt and key, so
the cost parameters travel with each hash and can be raised later without
invalidating older ones. The default cost, n=2**17, r=8, p=1, is the minimum that the
OWASP Password Storage Cheat Sheet lists for scrypt, and it needs 128 MiB per hash.
"""

import base64
import hashlib
import hmac
import secrets

_SCHEME = "scrypt"
_DEFAULT_N = 2**17
_DEFAULT_R = 8
_DEFAULT_P = 1
_KEY_BYTES = 32
_SALT_BYTES = 16


class InvalidPasswordHash(ValueError):
    """A stored password hash that is not in the `scrypt$...` format."""


def _derive(password: str, *, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs 128 * n * r bytes, so allow twice that for its working memory.
    maxmem = 128 * n * r * 2
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_KEY_BYTES
    )


def hash_password(password: str, *, n: int = _DEFAULT_N) -> str:
    """Hash `password` with a random salt at scrypt cost `n`, a power of two."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt=salt, n=n, r=_DEFAULT_R, p=_DEFAULT_P)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_key = base64.b64encode(key).decode()
    return f"{_SCHEME}${n}${_DEFAULT_R}${_DEFAULT_P}${encoded_salt}${encoded_key}"


def verify_password(password: str, password_hash: str) -> bool:
    """Return whether `password` matches `password_hash`, in constant time."""
    parts = password_hash.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        raise InvalidPasswordHash(
            "invalid password hash: expected scrypt$n$r$p$salt$key; recreate the "
            "user with `recon-reporting add-user`"
        )
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except ValueError as exc:
        raise InvalidPasswordHash(f"invalid password hash fields: {exc}") from None
    actual = _derive(password, salt=salt, n=n, r=r, p=p)
    return hmac.compare_digest(actual, expected)
