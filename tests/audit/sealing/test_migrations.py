"""Tests for the journal segments migration on SQLite and PostgreSQL, and for Oracle."""

import asyncio
import contextlib
import io

from alembic import command
from recon_common.migrations import alembic_config
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

SEGMENTS_REVISION = "2026_12_05_segments"
ALARM_REVISION = "2026_12_05_alarms"


async def _table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: set(inspect(sync).get_table_names())
            )
    finally:
        await engine.dispose()


async def test_segments_migration_up_and_down(database_url: str) -> None:
    # The fixture upgraded the database to head.
    created = await _table_names(database_url)
    await asyncio.to_thread(
        command.downgrade, alembic_config("recon_audit", database_url), ALARM_REVISION
    )
    after_downgrade = await _table_names(database_url)
    await asyncio.to_thread(
        command.upgrade, alembic_config("recon_audit", database_url), SEGMENTS_REVISION
    )
    after_upgrade = await _table_names(database_url)

    assert "journal_segments" in created
    assert "journal_segments" not in after_downgrade
    assert "alarms" in after_downgrade
    assert "journal_segments" in after_upgrade


def test_segments_migration_renders_for_oracle() -> None:
    config = alembic_config(
        "recon_audit", "oracle+oracledb://recon:unused@oracle.invalid/RECON"
    )
    output = io.StringIO()
    config.output_buffer = output

    with contextlib.redirect_stdout(output):
        command.upgrade(config, f"{ALARM_REVISION}:{SEGMENTS_REVISION}", sql=True)
    sql = output.getvalue().upper()

    assert "CREATE TABLE JOURNAL_SEGMENTS" in sql
    assert "CONSTRAINT UQ_JOURNAL_SEGMENTS_LAST_SEQUENCE UNIQUE" in sql
    assert "FLOAT" not in sql
