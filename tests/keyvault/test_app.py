"""Migrations and health routes of the key broker."""

import asyncio
from pathlib import Path

import httpx
from alembic import command
from recon_common.db import create_engine
from recon_common.migrations import alembic_config
from sqlalchemy import inspect

from tests.keyvault.conftest import make_settings, migrate

KEYVAULT_TABLES = {"bank_keys", "key_grants", "outbox_messages", "processed_events"}


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: inspect(sync).get_table_names()
            )
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_migrations_upgrade_and_downgrade(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    url = settings.database_url.get_secret_value()

    await migrate(settings)
    upgraded = await _tables(url)
    await asyncio.to_thread(
        command.downgrade, alembic_config("recon_keyvault", url), "base"
    )
    downgraded = await _tables(url)

    assert upgraded == KEYVAULT_TABLES
    assert downgraded == set()


async def test_healthz_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200


async def test_readyz_reports_each_dependency(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["database"] == "ok"
    assert checks["key_backend"] == "ok"
    assert checks["kafka"] != "ok"
