"""The pkcs11 backend on a SoftHSM2 token: key attributes, wrapping and errors."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pkcs11 import Attribute, KeyType, ObjectClass
from pydantic import SecretStr
from recon_keyvault.backends.pkcs11 import Pkcs11Backend
from recon_keyvault.errors import (
    ImportNotSupported,
    InvalidWrappedKey,
    KeyMaterialUnavailable,
)

from tests.keyvault.servers import SoftHsmToken

CONTEXT = {"bank_id": "bank-a", "object_key": "a.txt"}


@pytest.fixture
async def backend(softhsm_token: SoftHsmToken) -> AsyncIterator[Pkcs11Backend]:
    """Return a backend logged in to the session's SoftHSM2 token."""
    backend = Pkcs11Backend(
        library=softhsm_token.library,
        token_label=softhsm_token.label,
        pin=SecretStr(softhsm_token.pin),
    )
    yield backend
    await backend.close()


async def test_pkcs11_key_not_extractable(backend: Pkcs11Backend) -> None:
    key_ref = await backend.create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )

    def attributes(session: Any) -> dict[str, Any]:
        key = session.get_key(
            object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=key_ref
        )
        return {
            "extractable": key[Attribute.EXTRACTABLE],
            "sensitive": key[Attribute.SENSITIVE],
            "token": key[Attribute.TOKEN],
            "length": key[Attribute.VALUE_LEN],
        }

    found = await backend._run(attributes)

    assert found == {
        "extractable": False,
        "sensitive": True,
        "token": True,
        "length": 32,
    }


async def test_pkcs11_key_survives_new_session(
    backend: Pkcs11Backend, softhsm_token: SoftHsmToken
) -> None:
    key_ref = await backend.create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )
    issued = await backend.generate_data_key(
        key_ref=key_ref, encryption_context=CONTEXT
    )
    await backend.close()

    plaintext = await backend.decrypt_data_key(
        key_ref=key_ref, wrapped=issued.wrapped, encryption_context=CONTEXT
    )

    assert plaintext == issued.plaintext


async def test_pkcs11_wrapped_layout(backend: Pkcs11Backend) -> None:
    key_ref = await backend.create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )

    issued = await backend.generate_data_key(
        key_ref=key_ref, encryption_context=CONTEXT
    )

    # 12-byte IV, 32-byte ciphertext, 16-byte GCM tag.
    assert len(issued.wrapped) == 12 + 32 + 16
    assert issued.plaintext not in issued.wrapped


async def test_pkcs11_truncated_key_rejected(backend: Pkcs11Backend) -> None:
    key_ref = await backend.create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )

    with pytest.raises(InvalidWrappedKey):
        await backend.decrypt_data_key(
            key_ref=key_ref, wrapped=b"\x00" * 20, encryption_context=CONTEXT
        )


async def test_pkcs11_unknown_key_unavailable(backend: Pkcs11Backend) -> None:
    with pytest.raises(KeyMaterialUnavailable, match="no AES key labelled"):
        await backend.generate_data_key(
            key_ref=str(uuid.uuid4()), encryption_context=CONTEXT
        )


async def test_pkcs11_rejects_import(backend: Pkcs11Backend) -> None:
    with pytest.raises(ImportNotSupported):
        await backend.create_key(
            bank_id="bank-a", key_id=str(uuid.uuid4()), external=True
        )


async def test_pkcs11_unknown_token_unavailable(softhsm_token: SoftHsmToken) -> None:
    backend = Pkcs11Backend(
        library=softhsm_token.library,
        token_label="no-such-token",
        pin=SecretStr(softhsm_token.pin),
    )

    with pytest.raises(KeyMaterialUnavailable, match="no-such-token"):
        await backend.check()


async def test_pkcs11_wrong_pin_unavailable(softhsm_token: SoftHsmToken) -> None:
    backend = Pkcs11Backend(
        library=softhsm_token.library,
        token_label=softhsm_token.label,
        pin=SecretStr("wrong-pin-0000"),
    )

    with pytest.raises(KeyMaterialUnavailable, match="pkcs11_pin"):
        await backend.check()
