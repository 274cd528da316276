"""The interface that every key backend implements.

The broker keeps key state, grants and the wrapped-key format itself and enforces
them before it calls a backend, so every backend behaves the same. A backend creates
key material and wraps or unwraps data keys with it. A backend binds the encryption
context to the wrapped key (as AES-GCM associated data, or as the KMS encryption
context), so unwrapping under another context fails.

A backend that keeps state of its own (AWS KMS) also mirrors the broker's state
changes and grants, reports its own state through `describe_key`, and raises a
`KeyUnusable` error when it rejects a request because of that state. Backends
without such state (the local keyring, PKCS#11) implement those methods as no-ops.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from recon_keyvault.models import KeyState


class WrappingAlgorithm(StrEnum):
    """The algorithm that wraps key material for import, named as in AWS KMS."""

    RSAES_OAEP_SHA_256 = "RSAES_OAEP_SHA_256"
    RSA_AES_KEY_WRAP_SHA_256 = "RSA_AES_KEY_WRAP_SHA_256"


@dataclass(frozen=True)
class DataKeyMaterial:
    """A fresh data key: plaintext for one use and the backend's wrapped bytes."""

    plaintext: bytes = field(repr=False)
    wrapped: bytes


@dataclass(frozen=True)
class BackendKeyStatus:
    """A key's state as the backend reports it."""

    state: KeyState
    deletion_date: datetime | None = None
    material_expires_at: datetime | None = None


@dataclass(frozen=True)
class ImportParameters:
    """The public wrapping key (DER SubjectPublicKeyInfo) and token of one import."""

    public_key: bytes
    import_token: bytes
    valid_to: datetime


class KeyBackend(Protocol):
    """Key material storage and data-key wrapping for bank keys."""

    name: str

    async def create_key(self, *, bank_id: str, key_id: str, external: bool) -> str:
        """Create a bank key and return the backend's reference.

        With `external`, the key gets no material until `import_key_material`.
        """
        ...

    async def describe_key(self, *, key_ref: str) -> BackendKeyStatus | None:
        """Return the backend's own state of the key, or None if it keeps none."""
        ...

    async def apply_state(
        self, *, key_ref: str, state: KeyState, pending_window_days: int | None
    ) -> None:
        """Mirror a state change of the broker in the backend, if it keeps state."""
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

    async def create_grant(
        self,
        *,
        key_ref: str,
        grant_id: str,
        grantee: str,
        operations: Sequence[str],
        context_subset: Mapping[str, str],
    ) -> str | None:
        """Mirror a broker grant in the backend and return its id there, if any."""
        ...

    async def revoke_grant(self, *, key_ref: str, backend_grant_id: str) -> None:
        """Revoke the backend's copy of a grant."""
        ...

    async def get_import_parameters(
        self, *, key_ref: str, wrapping_algorithm: WrappingAlgorithm
    ) -> ImportParameters:
        """Return a public key and token for importing material into the key."""
        ...

    async def import_key_material(
        self,
        *,
        key_ref: str,
        encrypted_material: bytes,
        import_token: bytes,
        valid_to: datetime | None,
    ) -> None:
        """Import wrapped AES-256 material; raise `InvalidImport` if it fails."""
        ...

    async def check(self) -> None:
        """Raise if the backend cannot be reached; used by `/readyz`."""
        ...

    async def close(self) -> None:
        """Release the backend's clients or sessions."""
        ...
