"""The local keyring: bank key material in files, encrypted by a master key.

Each bank key is 32 random bytes in `<keyring>/<key_id>.key`, written once with mode
0600. The file contains a magic line, a random 16-byte salt, a 12-byte nonce and the
AES-256-GCM ciphertext of the material. The file key is derived from the master key
with HKDF-SHA256 and that salt, and the key id is the associated data, so a file
renamed to another key id does not decrypt. Data keys are wrapped as nonce followed by
AES-256-GCM ciphertext under the bank key, with the canonical JSON of the encryption
context as associated data.

Imported material (bring your own key) is unwrapped with an RSA-3072 key pair that
`get_import_parameters` creates and keeps in process memory for 24 hours, so a
restart between the two import steps needs new parameters. The keyring keeps no key
state and no grants: the broker enforces both.
"""

import asyncio
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from recon_keyvault.backends.base import (
    BackendKeyStatus,
    DataKeyMaterial,
    ImportParameters,
    WrappingAlgorithm,
)
from recon_keyvault.backends.byok import unwrap_key_material
from recon_keyvault.errors import (
    InvalidImport,
    InvalidWrappedKey,
    KeyMaterialUnavailable,
)
from recon_keyvault.models import KeyState

_MAGIC = b"RECON-KEYRING-1\n"
_SALT_BYTES = 16
_NONCE_BYTES = 12
_KEY_BYTES = 32
_HKDF_INFO = b"recon-keyvault keyring file key"
_IMPORT_KEY_BITS = 3072
# As long as AWS KMS keeps import parameters valid.
_IMPORT_VALIDITY = timedelta(hours=24)
_KEY_REF = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def canonical_context(encryption_context: Mapping[str, str]) -> bytes:
    """Return the encryption context as sorted, compact JSON bytes."""
    return json.dumps(
        dict(encryption_context), sort_keys=True, separators=(",", ":")
    ).encode()


@dataclass(frozen=True)
class _PendingImport:
    key_ref: str
    private_key: rsa.RSAPrivateKey
    algorithm: WrappingAlgorithm
    valid_to: datetime


class LocalKeyring:
    """Bank keys in an encrypted keyring folder on the local disk."""

    name = "local"

    def __init__(self, *, path: Path, master_key: SecretStr) -> None:
        self._path = path
        self._master_key = master_key
        # Decrypted material by key reference, so data-key calls skip the file read.
        self._cache: dict[str, bytes] = {}
        self._imports: dict[bytes, _PendingImport] = {}

    async def create_key(self, *, bank_id: str, key_id: str, external: bool) -> str:
        """Write new random material for `key_id` and return its reference.

        An external key gets its file only when its material is imported.
        """
        key_ref = self._checked_ref(key_id)
        if not external:
            await self._store(key_ref, secrets.token_bytes(_KEY_BYTES))
        return key_ref

    async def describe_key(self, *, key_ref: str) -> BackendKeyStatus | None:
        """Return None: the keyring keeps no key state."""
        return None

    async def apply_state(
        self, *, key_ref: str, state: KeyState, pending_window_days: int | None
    ) -> None:
        """Do nothing: the broker alone keeps the state of keyring keys."""

    async def create_grant(
        self,
        *,
        key_ref: str,
        grant_id: str,
        grantee: str,
        operations: Sequence[str],
        context_subset: Mapping[str, str],
    ) -> str | None:
        """Return None: the broker alone keeps the grants of keyring keys."""
        return None

    async def revoke_grant(self, *, key_ref: str, backend_grant_id: str) -> None:
        """Do nothing: keyring keys have no backend grants."""

    async def get_import_parameters(
        self, *, key_ref: str, wrapping_algorithm: WrappingAlgorithm
    ) -> ImportParameters:
        """Create an RSA key pair for one import and return its public half."""
        private_key = await asyncio.to_thread(
            rsa.generate_private_key, public_exponent=65537, key_size=_IMPORT_KEY_BITS
        )
        token = secrets.token_bytes(32)
        valid_to = datetime.now(UTC) + _IMPORT_VALIDITY
        self._imports[token] = _PendingImport(
            key_ref=self._checked_ref(key_ref),
            private_key=private_key,
            algorithm=wrapping_algorithm,
            valid_to=valid_to,
        )
        public_key = private_key.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        return ImportParameters(
            public_key=public_key, import_token=token, valid_to=valid_to
        )

    async def import_key_material(
        self,
        *,
        key_ref: str,
        encrypted_material: bytes,
        import_token: bytes,
        valid_to: datetime | None,
    ) -> None:
        """Unwrap the material with the import's private key and store it."""
        pending = self._imports.get(import_token)
        if pending is None or pending.key_ref != key_ref:
            raise InvalidImport(
                f"the import token is unknown for key {key_ref}; request new import "
                "parameters (they do not survive a restart of the broker)"
            )
        if datetime.now(UTC) >= pending.valid_to:
            raise InvalidImport("the import parameters expired; request new ones")
        material = unwrap_key_material(
            encrypted_material,
            private_key=pending.private_key,
            algorithm=pending.algorithm,
        )
        if await asyncio.to_thread(self._key_path(key_ref).exists):
            # A re-import after expiry must bring back the same material, as in
            # KMS, because data keys wrapped before still depend on it.
            if not hmac.compare_digest(material, await self._material(key_ref)):
                raise InvalidImport(
                    f"key {key_ref} already had other material; import the same "
                    "material as before"
                )
        else:
            await self._store(key_ref, material)
        del self._imports[import_token]

    async def generate_data_key(
        self, *, key_ref: str, encryption_context: Mapping[str, str]
    ) -> DataKeyMaterial:
        """Return a fresh AES-256 data key wrapped by the bank key."""
        material = await self._material(key_ref)
        plaintext = secrets.token_bytes(_KEY_BYTES)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(material).encrypt(
            nonce, plaintext, canonical_context(encryption_context)
        )
        return DataKeyMaterial(plaintext=plaintext, wrapped=nonce + sealed)

    async def decrypt_data_key(
        self, *, key_ref: str, wrapped: bytes, encryption_context: Mapping[str, str]
    ) -> bytes:
        """Unwrap a data key made by `generate_data_key` under the same context."""
        material = await self._material(key_ref)
        nonce, sealed = wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:]
        try:
            return AESGCM(material).decrypt(
                nonce, sealed, canonical_context(encryption_context)
            )
        except (InvalidTag, ValueError):
            raise InvalidWrappedKey(
                "the wrapped key does not authenticate under this bank key: it was "
                "altered or truncated"
            ) from None

    async def check(self) -> None:
        """Raise unless the keyring folder exists or can be created and written."""
        await asyncio.to_thread(self._ensure_folder)
        if not os.access(self._path, os.W_OK):
            raise PermissionError(f"keyring folder {self._path} is not writable")

    async def _store(self, key_ref: str, material: bytes) -> None:
        salt = secrets.token_bytes(_SALT_BYTES)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._file_key(salt)).encrypt(nonce, material, key_ref.encode())
        await asyncio.to_thread(self._write, key_ref, _MAGIC + salt + nonce + sealed)
        self._cache[key_ref] = material

    async def close(self) -> None:
        """Drop the cached material."""
        self._cache.clear()

    def _file_key(self, salt: bytes) -> bytes:
        kdf = HKDF(algorithm=SHA256(), length=_KEY_BYTES, salt=salt, info=_HKDF_INFO)
        return kdf.derive(self._master_key.get_secret_value().encode())

    def _checked_ref(self, key_ref: str) -> str:
        if not _KEY_REF.fullmatch(key_ref):
            raise KeyMaterialUnavailable(
                f"invalid keyring reference {key_ref!r}: expected a lowercase UUID"
            )
        return key_ref

    def _key_path(self, key_ref: str) -> Path:
        return self._path / f"{self._checked_ref(key_ref)}.key"

    def _ensure_folder(self) -> None:
        self._path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _write(self, key_ref: str, content: bytes) -> None:
        self._ensure_folder()
        target = self._key_path(key_ref)
        # O_EXCL: key material is written once and never replaced.
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())

    async def _material(self, key_ref: str) -> bytes:
        cached = self._cache.get(key_ref)
        if cached is not None:
            return cached
        path = self._key_path(key_ref)
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise KeyMaterialUnavailable(
                f"keyring file {path} is missing; restore it from backup or point "
                "keyring_path at the folder that holds it"
            ) from None
        material = self._open(key_ref, path, content)
        self._cache[key_ref] = material
        return material

    def _open(self, key_ref: str, path: Path, content: bytes) -> bytes:
        header = len(_MAGIC) + _SALT_BYTES + _NONCE_BYTES
        if not content.startswith(_MAGIC) or len(content) <= header:
            raise KeyMaterialUnavailable(f"keyring file {path} is not a keyring file")
        salt = content[len(_MAGIC) : len(_MAGIC) + _SALT_BYTES]
        nonce = content[len(_MAGIC) + _SALT_BYTES : header]
        try:
            return AESGCM(self._file_key(salt)).decrypt(
                nonce, content[header:], key_ref.encode()
            )
        except InvalidTag:
            raise KeyMaterialUnavailable(
                f"keyring file {path} does not decrypt with the configured "
                "master_key: the master key changed or the file was altered"
            ) from None
