"""Fixtures of the storage tests: pairs of migrated matcher databases.

Each test runs once on SQLite and once on PostgreSQL, with two empty databases: one
for the reference ORM path and one for the bulk path.
"""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from recon_common.db import create_engine, create_sessionmaker
from recon_common.migrations import upgrade_async
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_platform.infra.postgres import create_database, drop_database

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(params=["sqlite", "postgres"])
def admin_url(request: pytest.FixtureRequest) -> str | None:
    """Return the PostgreSQL admin URL, or None for SQLite."""
    # Sync, because an async fixture cannot request the sync session fixture.
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_admin_url"))


@pytest.fixture
async def database_urls(
    admin_url: str | None, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    """Create and migrate two empty databases and return their URLs."""
    if admin_url is None:
        urls = (
            f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}",
            f"sqlite+aiosqlite:///{tmp_path / 'bulk.db'}",
        )
        names: list[str] = []
    else:
        names = [f"test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
        urls = (
            await create_database(admin_url, names[0]),
            await create_database(admin_url, names[1]),
        )
    for url in urls:
        await upgrade_async("recon_matcher", url)
    try:
        yield urls
    finally:
        for name in names:
            await drop_database(str(admin_url), name)


@pytest.fixture
async def session_pair(
    database_urls: tuple[str, str],
) -> AsyncIterator[tuple[Sessions, Sessions]]:
    """Return session factories of the reference database and the bulk database."""
    engines = [create_engine(url) for url in database_urls]
    try:
        yield create_sessionmaker(engines[0]), create_sessionmaker(engines[1])
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.fixture
async def sessions(admin_url: str | None, tmp_path: Path) -> AsyncIterator[Sessions]:
    """Return a session factory of one empty migrated database."""
    if admin_url is None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'matcher.db'}"
        name = None
    else:
        name = f"test_{uuid.uuid4().hex[:12]}"
        url = await create_database(admin_url, name)
    await upgrade_async("recon_matcher", url)
    engine = create_engine(url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()
        if name is not None:
            await drop_database(str(admin_url), name)
