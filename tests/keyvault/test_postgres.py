"""The key broker on PostgreSQL: migrations, data keys and concurrent key creation."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from recon_platform.infra.postgres import (
    create_database,
    drop_database,
    ensure_postgres,
)
from tests.keyvault.conftest import (
    BANK_ID,
    CONTEXT,
    audit_actions,
    auth_headers,
    make_settings,
    migrate,
    serve,
)

pytestmark = pytest.mark.postgres

DATA_KEYS = f"/v1/banks/{BANK_ID}/data-keys"


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """Create an empty PostgreSQL database for one test and return its URL."""
    admin_url = await asyncio.to_thread(ensure_postgres)
    name = f"test_keyvault_{uuid.uuid4().hex[:12]}"
    url = await create_database(admin_url, name)
    yield url
    await drop_database(admin_url, name)


async def test_postgres_concurrent_requests_share_key(
    postgres_database: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, database_url=postgres_database)
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        responses = await asyncio.gather(
            *(
                client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
                for _ in range(5)
            )
        )
        keys = (await client.get(f"/v1/banks/{BANK_ID}/keys")).json()["keys"]

    assert [response.status_code for response in responses] == [200] * 5
    assert {response.json()["key_id"] for response in responses} == {keys[0]["key_id"]}
    assert len(keys) == 1
    assert await audit_actions(settings) == ["key.created"]


async def test_postgres_disabled_key_blocks_decrypt(
    postgres_database: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, database_url=postgres_database)
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        issued = (
            await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
        ).json()
        await client.post(f"/v1/banks/{BANK_ID}/keys/{issued['key_id']}/disable")
        blocked = await client.post(
            f"{DATA_KEYS}/decrypt",
            json={"wrapped_key": issued["wrapped_key"], "encryption_context": CONTEXT},
        )

    assert blocked.status_code == 403
    assert blocked.json()["error"] == "KeyDisabled"
