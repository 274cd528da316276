"""Alembic helpers shared by every service's migrations.

Each service keeps its migrations in `<package>/migrations` with an `env.py` that calls
`run_migrations(metadata)`. Batch mode is on so that the same scripts alter tables on
SQLite, PostgreSQL and Oracle.
"""

import asyncio
from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection

from recon_common.db.engine import create_engine


def alembic_config(package: str, database_url: str) -> Config:
    """Return an Alembic config for the migrations of `package` against a database."""
    config = Config()
    config.set_main_option("script_location", str(files(package) / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    """Upgrade the database of `package` to `revision`."""
    command.upgrade(alembic_config(package, database_url), revision)


async def upgrade_async(package: str, database_url: str) -> None:
    """Upgrade to head from async code, in a worker thread with its own event loop."""
    await asyncio.to_thread(upgrade, package, database_url)


def _run_sync(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations(metadata: MetaData) -> None:
    """Run the migrations of the current Alembic context; call from `env.py`."""
    url = context.config.attributes.get(
        "database_url"
    ) or context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database URL configured for the migrations")
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))


__all__ = ["alembic_config", "pool", "run_migrations", "upgrade", "upgrade_async"]
