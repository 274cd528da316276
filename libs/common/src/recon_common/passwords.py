"""Password hashing with scrypt from the standard library.

Hashes are stored as `scrypt$<n>$<r>$<p>$<salt>$<hash>` with base64 salt and hash, so
the cost parameters travel with each hash and can be raised later.
"""

import base64
import hashlib
import hmac
import secrets

# RFC 7914 recommends N=2**14 or more for interactive logins; 2**15 with r=8 takes
# about 32 MiB of memory per check.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of `password`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=32
    )
    encoded_salt = base64.b64encode(salt).decode()
    encoded_digest = base64.b64encode(digest).decode()
    return f"scrypt${_N}${_R}${_P}${encoded_salt}${encoded_digest}"


def verify_password(password: str, stored: str) -> bool:
    """Return whether `password` matches a hash made by `hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    # A corrupt stored hash (bad base64, non-numeric or invalid cost, cost above
    # _MAXMEM) makes b64decode, int or scrypt raise ValueError, and matches no password.
    try:
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
