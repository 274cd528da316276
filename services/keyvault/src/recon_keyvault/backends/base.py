"""The interface that every key backend implements.

The broker keeps key state, grants and the wrapped-key format itself, so a backend
only creates key material and wraps or unwraps data keys with it. A backend binds the
encryption context to the wrapped key (as AES-GCM associated data, or as the KMS
encryption context), so unwrapping under another context fails.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class DataKeyMaterial:
    """A fresh data key: plaintext for one use and the backend's wrapped bytes."""

    plaintext: bytes = field(repr=False)
    wrapped: bytes


class KeyBackend(Protocol):
    """Key material storage and data-key wrapping for bank keys."""

    name: str

    async def create_key(self, *, bank_id: str, key_id: str) -> str:
        """Create material for a new bank key and return the backend's reference."""
        ...

    async def generate_data_key(
        self, *, key_ref: str, encryption_context: Mapping[str, str]
    ) -> DataKeyMaterial:
        """Return a fresh AES-256 data key wrapped under `encryption_context`."""
        ...

    async def decrypt_data_key(
        self, *, key_ref: str, wrapped: bytes, encryption_context: Mapping[str, str]
    ) -> bytes:
        """Unwrap a data key; raise `InvalidWrappedKey` if it does not authenticate."""
        ...

    async def check(self) -> None:
        """Raise if the backend cannot be reached; used by `/readyz`."""
        ...
