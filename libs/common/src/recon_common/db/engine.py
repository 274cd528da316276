"""Async engines and the session scope that owns each transaction."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _enable_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the reporting pages read while a consumer writes; the busy timeout
    # (milliseconds) covers the short write locks of the other connections.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> AsyncEngine:
    """Create an async engine for a SQLite, PostgreSQL or Oracle URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    options: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if backend == "sqlite":
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    if backend == "oracle":
        import oracledb

        # Thin mode needs no Oracle client libraries; fetch NUMBER as Decimal so money
        # never passes through a float.
        oracledb.defaults.fetch_decimals = True
    if backend not in {"postgresql", "oracle"}:
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: use "
            "sqlite+aiosqlite, postgresql+asyncpg or oracle+oracledb"
        )
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, **options
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory that every scope of a service uses."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Open a session whose transaction commits on success and rolls back on error."""
    async with sessions() as session, session.begin():
        yield session
