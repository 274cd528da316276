"""Fixtures of the key broker tests: a migrated SQLite database and the app.

The app runs with `start_kafka=False`, so audit events stay in the outbox table,
where the tests read them.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from recon_common.db import create_engine
from recon_common.events import AuditEvent, Envelope
from recon_common.migrations import upgrade_async
from recon_common.settings import Environment
from recon_keyvault.app import create_app
from recon_keyvault.settings import DEVELOPMENT_SERVICE_TOKEN, KeyvaultSettings
from sqlalchemy import text

# Session fixtures of the KMS and HSM servers, shared by every keyvault test folder.
from tests.keyvault.servers import kms_endpoint, softhsm_token

__all__ = ["kms_endpoint", "softhsm_token"]

BANK_ID = "bank-a"
BASE_URL = "http://keyvault.test"
CONTEXT = {"bank_id": BANK_ID, "object_key": "landed/2026-12-04/mt940.txt"}


def make_settings(
    tmp_path: Path,
    *,
    environment: Environment = Environment.DEVELOPMENT,
    **extra: Any,
) -> KeyvaultSettings:
    """Return settings on a database and keyring inside `tmp_path`."""
    values: dict[str, Any] = {
        "environment": environment,
        "bank_id": BANK_ID,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'keyvault.db'}",
        "keyring_path": tmp_path / "keyring",
        # Port 9 (discard) has no broker, for apps run with start_kafka=False.
        "kafka_bootstrap_servers": "127.0.0.1:9",
    }
    return KeyvaultSettings(**{**values, **extra})


def auth_headers(
    service: str, token: str = DEVELOPMENT_SERVICE_TOKEN
) -> dict[str, str]:
    """Return the headers with which `service` authenticates to the broker."""
    return {"Authorization": f"Bearer {token}", "X-Service": service}


async def migrate(settings: KeyvaultSettings) -> None:
    """Upgrade the settings' database to the newest revision."""
    await upgrade_async("recon_keyvault", settings.database_url.get_secret_value())


@asynccontextmanager
async def serve(
    settings: KeyvaultSettings, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield a client for it, without Kafka."""
    if clock is None:
        app = create_app(settings, start_kafka=False)
    else:
        app = create_app(settings, start_kafka=False, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


async def audit_events(settings: KeyvaultSettings) -> list[AuditEvent]:
    """Return the audit events in the outbox table, oldest first."""
    engine = create_engine(settings.database_url.get_secret_value())
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT body FROM outbox_messages ORDER BY position")
            )
            bodies = [row[0] for row in rows]
    finally:
        await engine.dispose()
    return [Envelope.model_validate_json(body).payload(AuditEvent) for body in bodies]


async def audit_actions(settings: KeyvaultSettings) -> list[str]:
    """Return the action of each audit event in the outbox, oldest first."""
    return [event.action for event in await audit_events(settings)]


@pytest.fixture
async def settings(tmp_path: Path) -> KeyvaultSettings:
    """Return development settings on a freshly migrated database."""
    settings = make_settings(tmp_path)
    await migrate(settings)
    return settings


@pytest.fixture
async def client(settings: KeyvaultSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Return a client of the app, authenticated as the ingest service."""
    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        yield client


async def create_key(client: httpx.AsyncClient, alias: str = "primary") -> str:
    """Create the bank's key through the API and return its id."""
    response = await client.post(f"/v1/banks/{BANK_ID}/keys", json={"alias": alias})
    assert response.status_code == 200, response.text
    key_id: str = response.json()["key_id"]
    return key_id
