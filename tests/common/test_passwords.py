"""Tests for scrypt password hashing."""

import base64
import hashlib

import pytest
from recon_common.passwords import hash_password, verify_password

PASSWORD = "correct horse battery staple"


def test_hash_password_format() -> None:
    stored = hash_password(PASSWORD)

    scheme, n, r, p, salt, digest = stored.split("$")
    assert scheme == "scrypt"
    assert (n, r, p) == ("32768", "8", "1")
    assert salt
    assert digest


def test_hash_password_does_not_contain_password() -> None:
    stored = hash_password(PASSWORD)

    assert PASSWORD not in stored


def test_hash_password_salted() -> None:
    first = hash_password(PASSWORD)
    second = hash_password(PASSWORD)

    assert first != second


def test_verify_password_correct() -> None:
    stored = hash_password(PASSWORD)

    assert verify_password(PASSWORD, stored) is True


@pytest.mark.parametrize(
    "attempt", ["", "correct horse battery stapl", "Correct horse battery staple"]
)
def test_verify_password_wrong_rejected(attempt: str) -> None:
    stored = hash_password(PASSWORD)

    assert verify_password(attempt, stored) is False


def test_verify_password_unicode() -> None:
    stored = hash_password("pässwörd-日本")

    assert verify_password("pässwörd-日本", stored) is True
    assert verify_password("passwort-日本", stored) is False


def test_verify_password_lower_cost_hash_accepted() -> None:
    # Cost parameters travel with each hash, so hashes made before a cost raise verify.
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    stored = "$".join(
        [
            "scrypt",
            "16384",
            "8",
            "1",
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )

    assert verify_password(PASSWORD, stored) is True
    assert verify_password("wrong", stored) is False


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "bcrypt$12$8$1$c2FsdA==$ZGlnZXN0",
        "scrypt$32768$8$1$c2FsdA==",
        "scrypt$abc$8$1$c2FsdA==$ZGlnZXN0",
        "scrypt$32768$8$1$not base64!$ZGlnZXN0",
        "scrypt$32768$8$1$c2FsdA==$",
        "scrypt$1000$8$1$c2FsdA==$ZGlnZXN0",
        "scrypt$1048576$8$1$c2FsdA==$ZGlnZXN0",
    ],
    ids=[
        "empty",
        "no-separators",
        "other-scheme",
        "missing-part",
        "non-numeric-cost",
        "invalid-base64",
        "empty-digest",
        "cost-not-power-of-two",
        "cost-above-memory-limit",
    ],
)
def test_verify_password_malformed_hash_rejected(stored: str) -> None:
    result = verify_password(PASSWORD, stored)

    assert result is False
