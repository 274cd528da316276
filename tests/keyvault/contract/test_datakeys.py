"""Contract: data keys round-trip and stay bound to their encryption context."""

import base64
import uuid
from pathlib import Path

import pytest
from recon_keyvault.backends import create_backend
from recon_keyvault.errors import InvalidWrappedKey

from tests.keyvault.conftest import CONTEXT
from tests.keyvault.contract.conftest import BACKENDS, Contract, backend_settings
from tests.keyvault.contract.helpers import create_key, decrypt, generate

OTHER_CONTEXT = {**CONTEXT, "object_key": "landed/2026-12-04/other.txt"}


async def test_contract_data_key_round_trip(contract: Contract) -> None:
    key = await create_key(contract.client)
    issued = await generate(contract.client, CONTEXT)

    response = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)

    assert response.status_code == 200
    assert response.json()["plaintext"] == issued["plaintext"]
    assert issued["key_id"] == key["key_id"]
    assert key["backend"] == contract.backend
    assert len(base64.b64decode(issued["plaintext"])) == 32


async def test_contract_data_keys_fresh(contract: Contract) -> None:
    await create_key(contract.client)

    first = await generate(contract.client, CONTEXT)
    second = await generate(contract.client, CONTEXT)

    assert first["plaintext"] != second["plaintext"]
    assert first["wrapped_key"] != second["wrapped_key"]


async def test_contract_context_mismatch_rejected(contract: Contract) -> None:
    await create_key(contract.client)
    issued = await generate(contract.client, CONTEXT)

    response = await decrypt(contract.client, issued["wrapped_key"], OTHER_CONTEXT)

    assert response.status_code == 403
    assert response.json()["error"] == "InvalidEncryptionContext"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_contract_backend_binds_context(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # The broker's fingerprint check is bypassed here, so only the backend's own
    # binding (AES-GCM associated data or the KMS encryption context) can reject.
    key_backend = create_backend(backend_settings(request, backend, tmp_path))
    try:
        key_ref = await key_backend.create_key(
            bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
        )
        issued = await key_backend.generate_data_key(
            key_ref=key_ref, encryption_context=CONTEXT
        )
        same = await key_backend.decrypt_data_key(
            key_ref=key_ref, wrapped=issued.wrapped, encryption_context=CONTEXT
        )

        with pytest.raises(InvalidWrappedKey):
            await key_backend.decrypt_data_key(
                key_ref=key_ref,
                wrapped=issued.wrapped,
                encryption_context=OTHER_CONTEXT,
            )
    finally:
        await key_backend.close()

    assert same == issued.plaintext


@pytest.mark.parametrize("backend", BACKENDS)
async def test_contract_backend_rejects_altered_key(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    key_backend = create_backend(backend_settings(request, backend, tmp_path))
    try:
        key_ref = await key_backend.create_key(
            bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
        )
        issued = await key_backend.generate_data_key(
            key_ref=key_ref, encryption_context=CONTEXT
        )
        altered = issued.wrapped[:-1] + bytes([issued.wrapped[-1] ^ 0x01])

        with pytest.raises(InvalidWrappedKey):
            await key_backend.decrypt_data_key(
                key_ref=key_ref, wrapped=altered, encryption_context=CONTEXT
            )
    finally:
        await key_backend.close()
