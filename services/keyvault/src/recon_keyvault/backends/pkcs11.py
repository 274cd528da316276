"""The PKCS#11 backend: each bank key is an AES-256 key on an HSM token.

The bank key is generated on the token as a persistent secret key, sensitive and
not extractable, labelled with the broker's key id. A data key is 32 bytes from the
token's random generator, encrypted on the token by the bank key with CKM_AES_GCM:
a 12-byte IV from the token, a 128-bit tag, and the canonical JSON of the
encryption context as the associated data, so it decrypts only under the same
context. The wrapped bytes are the IV followed by the ciphertext and tag.

python-pkcs11 is synchronous, so every call runs in a worker thread. One logged-in
session serves the process, behind a lock, because PKCS#11 logs in per application
and not per session. The token keeps no key state and no grants: the broker
enforces both. Importing key material is not built for this backend.
"""

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import NoSuchKey, NoSuchToken, PKCS11Error
from pkcs11.mechanisms import GCMParams
from pydantic import SecretStr

from recon_keyvault.backends.base import (
    BackendKeyStatus,
    DataKeyMaterial,
    ImportParameters,
    WrappingAlgorithm,
)
from recon_keyvault.backends.local import canonical_context
from recon_keyvault.errors import (
    ImportNotSupported,
    InvalidWrappedKey,
    KeyMaterialUnavailable,
)
from recon_keyvault.models import KeyState

_KEY_BITS = 256
_IV_BYTES = 12
_TAG_BITS = 128

T = TypeVar("T")


def _not_supported() -> ImportNotSupported:
    return ImportNotSupported(
        "the pkcs11 backend cannot import key material; create a generated key, or "
        "use the aws-kms or local backend for bring-your-own-key"
    )


class Pkcs11Backend:
    """Bank keys on a PKCS#11 token, reached with python-pkcs11."""

    name = "pkcs11"

    def __init__(self, *, library: Path, token_label: str, pin: SecretStr) -> None:
        self._library = library
        self._token_label = token_label
        self._pin = pin
        self._session: Any = None
        self._lock = threading.Lock()

    async def create_key(self, *, bank_id: str, key_id: str, external: bool) -> str:
        """Generate a non-extractable AES-256 key on the token, labelled `key_id`."""
        if external:
            raise _not_supported()

        def generate(session: Any) -> None:
            session.generate_key(
                KeyType.AES,
                _KEY_BITS,
                label=key_id,
                id=key_id.encode(),
                store=True,
                capabilities=pkcs11.MechanismFlag.ENCRYPT
                | pkcs11.MechanismFlag.DECRYPT,
                template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                },
            )

        await self._run(generate)
        return key_id

    async def describe_key(self, *, key_ref: str) -> BackendKeyStatus | None:
        """Return None: the token keeps no key state."""
        return None

    async def apply_state(
        self, *, key_ref: str, state: KeyState, pending_window_days: int | None
    ) -> None:
        """Do nothing: the broker alone keeps the state of token keys."""

    async def generate_data_key(
        self, *, key_ref: str, encryption_context: Mapping[str, str]
    ) -> DataKeyMaterial:
        """Return a fresh data key encrypted on the token with AES-GCM."""
        aad = canonical_context(encryption_context)

        def generate(session: Any) -> DataKeyMaterial:
            key = self._key(session, key_ref)
            plaintext: bytes = session.generate_random(_KEY_BITS)
            iv: bytes = session.generate_random(_IV_BYTES * 8)
            sealed: bytes = key.encrypt(
                plaintext,
                mechanism=Mechanism.AES_GCM,
                mechanism_param=GCMParams(iv, aad, _TAG_BITS),
            )
            return DataKeyMaterial(plaintext=plaintext, wrapped=iv + sealed)

        return await self._run(generate)

    async def decrypt_data_key(
        self, *, key_ref: str, wrapped: bytes, encryption_context: Mapping[str, str]
    ) -> bytes:
        """Decrypt a data key on the token; the context must be the same."""
        aad = canonical_context(encryption_context)
        iv, sealed = wrapped[:_IV_BYTES], wrapped[_IV_BYTES:]

        def decrypt(session: Any) -> bytes:
            key = self._key(session, key_ref)
            try:
                plaintext: bytes = key.decrypt(
                    sealed,
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(iv, aad, _TAG_BITS),
                )
            except PKCS11Error:
                # SoftHSM2 reports a failed GCM tag as CKR_GENERAL_ERROR.
                raise InvalidWrappedKey(
                    "the wrapped key does not authenticate under this bank key: it "
                    "was altered or truncated"
                ) from None
            return plaintext

        if len(iv) != _IV_BYTES or len(sealed) <= _TAG_BITS // 8:
            raise InvalidWrappedKey("the wrapped key is too short")
        return await self._run(decrypt)

    async def create_grant(
        self,
        *,
        key_ref: str,
        grant_id: str,
        grantee: str,
        operations: Sequence[str],
        context_subset: Mapping[str, str],
    ) -> str | None:
        """Return None: the broker alone keeps the grants of token keys."""
        return None

    async def revoke_grant(self, *, key_ref: str, backend_grant_id: str) -> None:
        """Do nothing: token keys have no backend grants."""

    async def get_import_parameters(
        self, *, key_ref: str, wrapping_algorithm: WrappingAlgorithm
    ) -> ImportParameters:
        """Raise `ImportNotSupported`."""
        raise _not_supported()

    async def import_key_material(
        self,
        *,
        key_ref: str,
        encrypted_material: bytes,
        import_token: bytes,
        valid_to: datetime | None,
    ) -> None:
        """Raise `ImportNotSupported`."""
        raise _not_supported()

    async def check(self) -> None:
        """Raise unless the token can be opened and logged in to."""
        await self._run(lambda session: None)

    async def close(self) -> None:
        """Close the session, which logs out of the token."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
            self._session = None

    async def _run(self, operation: Callable[[Any], T]) -> T:
        return await asyncio.to_thread(self._locked, operation)

    def _locked(self, operation: Callable[[Any], T]) -> T:
        with self._lock:
            if self._session is None:
                self._session = self._open()
            return operation(self._session)

    def _open(self) -> Any:
        try:
            token = pkcs11.lib(str(self._library)).get_token(
                token_label=self._token_label
            )
            return token.open(user_pin=self._pin.get_secret_value(), rw=True)
        except NoSuchToken:
            raise KeyMaterialUnavailable(
                f"no PKCS#11 token labelled {self._token_label!r} in "
                f"{self._library}; check pkcs11_token_label"
            ) from None
        except (PKCS11Error, RuntimeError, OSError) as error:
            raise KeyMaterialUnavailable(
                f"cannot open PKCS#11 token {self._token_label!r} with "
                f"{self._library}: {type(error).__name__}; check pkcs11_library and "
                "pkcs11_pin"
            ) from None

    def _key(self, session: Any, key_ref: str) -> Any:
        try:
            return session.get_key(
                object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=key_ref
            )
        except NoSuchKey:
            raise KeyMaterialUnavailable(
                f"the PKCS#11 token {self._token_label!r} has no AES key labelled "
                f"{key_ref!r}; restore it or point the broker at the right token"
            ) from None
