"""Tests for the PostgreSQL launcher, run against Debian's PostgreSQL 15 cluster."""

import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from recon_platform.infra.postgres import (
    PostgresError,
    create_database,
    database_url,
    drop_database,
    ensure_postgres,
)

pytestmark = pytest.mark.postgres

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return ensure_postgres()


def unique_database_name() -> str:
    return f"test_infra_{uuid.uuid4().hex[:12]}"


async def fetch_scalar(url: str, query: str, **parameters: object) -> object:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(query), parameters)
            return result.scalar_one()
    finally:
        await engine.dispose()


async def count_databases(admin_url: str, name: str) -> object:
    return await fetch_scalar(
        admin_url, "SELECT count(*) FROM pg_database WHERE datname = :name", name=name
    )


async def test_ensure_postgres_url_accepts_select(postgres_url: str) -> None:
    result = await fetch_scalar(postgres_url, "SELECT 1")

    assert result == 1


def test_ensure_postgres_repeated_call_returns_same_url(postgres_url: str) -> None:
    again = ensure_postgres()

    assert again == postgres_url


def test_ensure_postgres_url_uses_asyncpg_on_loopback(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+asyncpg://recon:recon@127.0.0.1:")
    assert postgres_url.endswith("/recon")


async def test_create_database_url_connects(postgres_url: str) -> None:
    name = unique_database_name()

    url = await create_database(postgres_url, name)
    try:
        current = await fetch_scalar(url, "SELECT current_database()")
    finally:
        await drop_database(postgres_url, name)

    assert current == name


async def test_drop_database_removes_database(postgres_url: str) -> None:
    name = unique_database_name()
    await create_database(postgres_url, name)

    await drop_database(postgres_url, name)

    assert await count_databases(postgres_url, name) == 0


async def test_drop_database_open_connection_ended(postgres_url: str) -> None:
    name = unique_database_name()
    url = await create_database(postgres_url, name)
    engine = create_async_engine(url, poolclass=NullPool)
    connection = await engine.connect()

    try:
        await drop_database(postgres_url, name)
    finally:
        await connection.invalidate()
        await connection.close()
        await engine.dispose()

    assert await count_databases(postgres_url, name) == 0


async def test_drop_database_missing_database_accepted(postgres_url: str) -> None:
    name = unique_database_name()

    await drop_database(postgres_url, name)

    assert await count_databases(postgres_url, name) == 0


async def test_create_database_from_template_copies_tables(postgres_url: str) -> None:
    template = unique_database_name()
    copy = unique_database_name()
    template_url = await create_database(postgres_url, template)
    engine = create_async_engine(template_url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE ledger (id integer PRIMARY KEY)"))
    await engine.dispose()

    copy_url = await create_database(postgres_url, copy, template=template)
    try:
        tables = await fetch_scalar(
            copy_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'ledger'"
        )
    finally:
        await drop_database(postgres_url, copy)
        await drop_database(postgres_url, template)

    assert tables == 1


async def test_create_database_invalid_name_rejected(postgres_url: str) -> None:
    with pytest.raises(PostgresError, match="invalid PostgreSQL name"):
        await create_database(postgres_url, "ledger; DROP DATABASE recon")


def test_database_url_renders_asyncpg_url() -> None:
    url = database_url(role="alice", password="secret", database="books", port=5433)

    assert url == "postgresql+asyncpg://alice:secret@127.0.0.1:5433/books"


def test_cli_url_prints_database_url(postgres_url: str) -> None:
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "postgres"), "url"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == postgres_url
