"""Requests that the contract tests repeat."""

import base64
import secrets
from datetime import datetime
from typing import Any

import httpx
import pytest
from recon_common.db import create_engine, create_sessionmaker, session_scope
from recon_keyvault.backends import WrappingAlgorithm
from recon_keyvault.backends.byok import wrap_key_material
from recon_keyvault.models import BankKey
from recon_keyvault.settings import KeyvaultSettings

from tests.keyvault.conftest import BANK_ID

KEYS = f"/v1/banks/{BANK_ID}/keys"
DATA_KEYS = f"/v1/banks/{BANK_ID}/data-keys"
DECRYPT = f"{DATA_KEYS}/decrypt"


async def create_key(client: httpx.AsyncClient, **body: str) -> dict[str, str]:
    """Create the bank's key and return its JSON."""
    response = await client.post(KEYS, json={"alias": "primary", **body})
    assert response.status_code == 200, response.text
    key: dict[str, str] = response.json()
    return key


async def generate(
    client: httpx.AsyncClient, context: dict[str, str]
) -> dict[str, str]:
    """Generate a data key under `context` and return its JSON."""
    response = await client.post(DATA_KEYS, json={"encryption_context": context})
    assert response.status_code == 200, response.text
    issued: dict[str, str] = response.json()
    return issued


async def decrypt(
    client: httpx.AsyncClient, wrapped_key: str, context: dict[str, str]
) -> httpx.Response:
    """Request the plaintext of a wrapped key and return the raw response."""
    return await client.post(
        DECRYPT, json={"wrapped_key": wrapped_key, "encryption_context": context}
    )


async def key_row(settings: KeyvaultSettings, key_id: str) -> BankKey:
    """Return the broker's row of a key, read from its database."""
    engine = create_engine(settings.database_url.get_secret_value())
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            key = await session.get(BankKey, key_id)
    finally:
        await engine.dispose()
    assert key is not None
    return key


async def set_material_expiry(
    settings: KeyvaultSettings, key_id: str, expires_at: datetime
) -> None:
    """Write an expiry date of imported material into the broker's key row."""
    engine = create_engine(settings.database_url.get_secret_value())
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            key = await session.get(BankKey, key_id)
            assert key is not None
            key.material_expires_at = expires_at
    finally:
        await engine.dispose()


# Backends that run the whole import. The ids of the others state why they cannot.
IMPORT_CASES = [
    pytest.param("local", id="local"),
    pytest.param(
        "aws-kms",
        id="aws-kms-NA-moto-5.2.5-lacks-ImportKeyMaterial",
        marks=pytest.mark.skip(
            reason="moto 5.2.5 lacks GetParametersForImport and ImportKeyMaterial"
        ),
    ),
    pytest.param(
        "pkcs11",
        id="pkcs11-NA-backend-rejects-import",
        marks=pytest.mark.skip(
            reason="the pkcs11 backend has no import; test_pkcs11_rejects_import "
            "checks the rejection"
        ),
    ),
]


async def import_material(
    client: httpx.AsyncClient,
    key_id: str,
    material: bytes | None = None,
    algorithm: WrappingAlgorithm = WrappingAlgorithm.RSAES_OAEP_SHA_256,
    valid_to: str | None = None,
) -> dict[str, Any]:
    """Import material (32 random bytes by default) into a key and return its JSON."""
    parameters = await client.post(
        f"{KEYS}/{key_id}/import-parameters",
        json={"wrapping_algorithm": algorithm.value},
    )
    assert parameters.status_code == 200, parameters.text
    encrypted = wrap_key_material(
        material if material is not None else secrets.token_bytes(32),
        public_key_der=base64.b64decode(parameters.json()["public_key"]),
        algorithm=algorithm,
    )
    response = await client.post(
        f"{KEYS}/{key_id}/import",
        json={
            "encrypted_key_material": base64.b64encode(encrypted).decode(),
            "import_token": parameters.json()["import_token"],
            "valid_to": valid_to,
        },
    )
    assert response.status_code == 200, response.text
    key: dict[str, Any] = response.json()
    return key
