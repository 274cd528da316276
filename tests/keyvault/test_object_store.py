"""Envelope encryption of `LocalObjectStore` through `KeyvaultClient` over real HTTP.

The key broker runs under uvicorn on a free port of 127.0.0.1, because
`KeyvaultClient` takes a base URL and builds its own HTTP client.
"""

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from recon_common.keyvault_client import KeyBrokerError, KeyvaultClient
from recon_common.storage.local import LocalObjectStore
from recon_keyvault.app import create_app
from recon_keyvault.settings import DEVELOPMENT_SERVICE_TOKEN, KeyvaultSettings

from tests.keyvault.conftest import BANK_ID, auth_headers

OBJECT_KEY = "landed/2026-12-04/statement.mt940"
CONTENT = b":20:STATEMENT-1\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n"


@pytest.fixture
async def broker_url(settings: KeyvaultSettings) -> AsyncIterator[str]:
    """Serve the key broker on 127.0.0.1 and return its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, start_kafka=False),
        log_config=None,
        access_log=False,
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    async with asyncio.timeout(10):
        # uvicorn exposes start-up only as the `started` flag, not as an event.
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


@pytest.fixture
async def store(broker_url: str, tmp_path: Path) -> AsyncIterator[LocalObjectStore]:
    """Return a local object store whose data keys come from the broker."""
    async with KeyvaultClient(
        base_url=broker_url,
        token=DEVELOPMENT_SERVICE_TOKEN,
        bank_id=BANK_ID,
        service="ingest",
    ) as keys:
        yield LocalObjectStore(root=tmp_path / "objects", bank_id=BANK_ID, keys=keys)


async def _set_key_state(broker_url: str, state: str) -> None:
    async with httpx.AsyncClient(
        base_url=broker_url, headers=auth_headers("ingest")
    ) as client:
        keys = (await client.get(f"/v1/banks/{BANK_ID}/keys")).json()["keys"]
        response = await client.post(
            f"/v1/banks/{BANK_ID}/keys/{keys[0]['key_id']}/{state}"
        )
    assert response.status_code == 200, response.text


async def test_object_store_round_trip(store: LocalObjectStore, tmp_path: Path) -> None:
    await store.put(OBJECT_KEY, CONTENT)

    stored = await store.get(OBJECT_KEY)

    assert stored == CONTENT
    on_disk = next((tmp_path / "objects").rglob("*.obj")).read_bytes()
    assert CONTENT not in on_disk


async def test_object_store_disabled_key_unreadable(
    store: LocalObjectStore, broker_url: str
) -> None:
    await store.put(OBJECT_KEY, CONTENT)

    await _set_key_state(broker_url, "disable")
    with pytest.raises(KeyBrokerError, match="KeyDisabled"):
        await store.get(OBJECT_KEY)
    await _set_key_state(broker_url, "enable")

    assert await store.get(OBJECT_KEY) == CONTENT
