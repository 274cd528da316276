"""Requests that the contract tests repeat."""

from datetime import datetime

import httpx
from recon_common.db import create_engine, create_sessionmaker, session_scope
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
