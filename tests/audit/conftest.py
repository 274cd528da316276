"""Fixtures shared by the audit tests: a migrated database and its sessions."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from recon_common.db import create_engine, create_sessionmaker
from recon_common.migrations import upgrade_async
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_platform.infra.postgres import create_database, drop_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """Return the URL of a migrated SQLite file, then of a PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
        await upgrade_async("recon_audit", url)
        yield url
        return
    # pytest-asyncio cannot resolve the async `postgres_url` fixture through
    # `getfixturevalue`, so the database is created here.
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(admin_url, name)
    try:
        await upgrade_async("recon_audit", url)
        yield url
    finally:
        await drop_database(admin_url, name)


@pytest.fixture
async def sessions(
    database_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()
