"""The local keyring: bank key material in files, encrypted by a master key.

Each bank key is 32 random bytes in `<keyring>/<key_id>.key`, written once with mode
0600. The file contains a magic line, a random 16-byte salt, a 12-byte nonce and the
AES-256-GCM ciphertext of the material. The file key is derived from the master key
with HKDF-SHA256 and that salt, and the key id is the associated data, so a file
renamed to another key id does not decrypt. Data keys are wrapped as nonce followed by
AES-256-GCM ciphertext under the bank key, with the canonical JSON of the encryption
context as associated data.
"""

import asyncio
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from recon_keyvault.backends.base import DataKeyMaterial
from recon_keyvault.errors import InvalidWrappedKey, KeyMaterialUnavailable

_MAGIC = b"RECON-KEYRING-1\n"
_SALT_BYTES = 16
_NONCE_BYTES = 12
_KEY_BYTES = 32
_HKDF_INFO = b"recon-keyvault keyring file key"
_KEY_REF = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def canonical_context(encryption_context: Mapping[str, str]) -> bytes:
    """Return the encryption context as sorted, compact JSON bytes."""
    return json.dumps(
        dict(encryption_context), sort_keys=True, separators=(",", ":")
    ).encode()


class LocalKeyring:
    """Bank keys in an encrypted keyring folder on the local disk."""

    name = "local"

    def __init__(self, *, path: Path, master_key: SecretStr) -> None:
        self._path = path
        self._master_key = master_key
        # Decrypted material by key reference, so data-key calls skip the file read.
        self._cache: dict[str, bytes] = {}

    async def create_key(self, *, bank_id: str, key_id: str) -> str:
        """Write new random material for `key_id` and return its reference."""
        key_ref = self._checked_ref(key_id)
        material = secrets.token_bytes(_KEY_BYTES)
        salt = secrets.token_bytes(_SALT_BYTES)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._file_key(salt)).encrypt(nonce, material, key_ref.encode())
        await asyncio.to_thread(self._write, key_ref, _MAGIC + salt + nonce + sealed)
        self._cache[key_ref] = material
        return key_ref

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

    def _file_key(self, salt: bytes) -> bytes:
        kdf = HKDF(algorithm=SHA256(), length=_KEY_BYTES, salt=salt, info=_HKDF_INFO)
        return kdf.derive(self._master_key.get_secret_value().encode())

    def _checked_ref(self, key_ref: str) -> str:
        if not _KEY_REF.fullmatch(key_ref):
            raise KeyMaterialUnavailable(
                f"invalid keyring reference {key_ref!r}: expected a lowercase UUID"
            )
        return key_ref

    def _ensure_folder(self) -> None:
        self._path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _write(self, key_ref: str, content: bytes) -> None:
        self._ensure_folder()
        target = self._path / f"{key_ref}.key"
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
        path = self._path / f"{self._checked_ref(key_ref)}.key"
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
