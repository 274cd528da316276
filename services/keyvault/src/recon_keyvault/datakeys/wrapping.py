"""The wrapped-key string that the broker hands out and takes back.

Format: `kv1.<key_id>.<context fingerprint>.<backend bytes>`, the last two in
unpadded base64url. Decrypt requests carry no key id, so the string names the bank
key itself. The fingerprint is the first 16 bytes of SHA-256 over the canonical JSON
of the encryption context. It lets the broker tell a wrong context (403) from an
altered key (422), and it reveals no more than the context, which is not secret. The
backend's own authentication (AES-GCM tag or KMS) still decides whether a key opens.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from recon_keyvault.backends.local import canonical_context
from recon_keyvault.errors import InvalidWrappedKey

_VERSION = "kv1"
_FINGERPRINT_BYTES = 16
_KEY_ID = re.compile(r"^[0-9a-f-]{36}$")


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    context_fingerprint: bytes
    backend_bytes: bytes

    def matches_context(self, encryption_context: Mapping[str, str]) -> bool:
        """Return whether `encryption_context` is the one the key was wrapped with."""
        return hmac.compare_digest(
            self.context_fingerprint, context_fingerprint(encryption_context)
        )


def context_fingerprint(encryption_context: Mapping[str, str]) -> bytes:
    """Return the fingerprint of an encryption context."""
    digest = hashlib.sha256(canonical_context(encryption_context)).digest()
    return digest[:_FINGERPRINT_BYTES]


def encode_wrapped_key(
    *, key_id: str, encryption_context: Mapping[str, str], backend_bytes: bytes
) -> str:
    """Return the wrapped-key string for the backend's wrapped bytes."""
    fingerprint = _b64encode(context_fingerprint(encryption_context))
    return f"{_VERSION}.{key_id}.{fingerprint}.{_b64encode(backend_bytes)}"


def decode_wrapped_key(text: str) -> WrappedKey:
    """Parse a wrapped-key string, or raise `InvalidWrappedKey`."""
    parts = text.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not _KEY_ID.fullmatch(parts[1]):
        raise InvalidWrappedKey(
            "the wrapped key is malformed: expected the `kv1.<key id>.<fingerprint>."
            "<bytes>` string returned by the data-keys endpoint"
        )
    try:
        fingerprint = _b64decode(parts[2])
        backend_bytes = _b64decode(parts[3])
    except (binascii.Error, ValueError):
        raise InvalidWrappedKey(
            "the wrapped key is malformed: its fields are not base64url"
        ) from None
    if len(fingerprint) != _FINGERPRINT_BYTES:
        raise InvalidWrappedKey("the wrapped key is malformed: bad fingerprint length")
    return WrappedKey(
        key_id=parts[1], context_fingerprint=fingerprint, backend_bytes=backend_bytes
    )


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)
