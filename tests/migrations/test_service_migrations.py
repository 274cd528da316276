"""Every service's migrations run on SQLite and PostgreSQL and render for Oracle.

No Oracle server runs here, so the Oracle check renders each migration as SQL text
in Alembic's offline mode and checks the text.
"""

import asyncio
import contextlib
import io
from pathlib import Path

import pytest
from alembic import command
from recon_common.migrations import alembic_config, upgrade_async
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

PACKAGES = [
    "recon_ingest",
    "recon_matcher",
    "recon_reporting",
    "recon_keyvault",
    "recon_audit",
]
# Tables that each service's first migration must create, besides the messaging ones.
EXPECTED_TABLES = {
    "recon_ingest": {"landed_files"},
    "recon_matcher": {"transactions", "match_groups", "match_group_items", "files"},
    "recon_reporting": {
        "report_files",
        "report_transactions",
        "report_match_groups",
        "report_match_items",
        "report_breaks",
        "report_reconciliations",
    },
    "recon_keyvault": {"bank_keys", "key_grants"},
    "recon_audit": {"journal_entries", "journal_head"},
}
MESSAGING_TABLES = {"outbox_messages", "processed_events", "alembic_version"}


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: set(inspect(sync).get_table_names())
            )
    finally:
        await engine.dispose()
    return names


@pytest.mark.parametrize("package", PACKAGES)
async def test_migrations_sqlite_up_and_down(package: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"

    await upgrade_async(package, url)
    created = await table_names(url)
    await asyncio.to_thread(command.downgrade, alembic_config(package, url), "base")
    remaining = await table_names(url)

    assert MESSAGING_TABLES <= created
    assert EXPECTED_TABLES[package] <= created
    assert remaining == {"alembic_version"}


@pytest.mark.postgres
@pytest.mark.parametrize("package", PACKAGES)
async def test_migrations_postgres_up_and_down(package: str, postgres_url: str) -> None:
    await upgrade_async(package, postgres_url)
    created = await table_names(postgres_url)
    await asyncio.to_thread(
        command.downgrade, alembic_config(package, postgres_url), "base"
    )
    remaining = await table_names(postgres_url)

    assert MESSAGING_TABLES <= created
    assert EXPECTED_TABLES[package] <= created
    assert remaining == {"alembic_version"}


@pytest.mark.parametrize("package", PACKAGES)
def test_migrations_render_for_oracle(package: str) -> None:
    config = alembic_config(
        package, "oracle+oracledb://recon:unused@oracle.invalid/RECON"
    )
    output = io.StringIO()
    config.output_buffer = output

    with contextlib.redirect_stdout(output):
        command.upgrade(config, "head", sql=True)
    sql = output.getvalue().upper()

    assert "CREATE TABLE OUTBOX_MESSAGES" in sql
    assert "CREATE TABLE PROCESSED_EVENTS" in sql
    assert "FLOAT" not in sql
    for table in EXPECTED_TABLES[package]:
        assert f"CREATE TABLE {table.upper()}" in sql


def test_audit_journal_oracle_trigger_rendered() -> None:
    config = alembic_config(
        "recon_audit", "oracle+oracledb://recon:unused@oracle.invalid/RECON"
    )
    output = io.StringIO()
    config.output_buffer = output

    command.upgrade(config, "head", sql=True)
    sql = output.getvalue()

    assert "CREATE OR REPLACE TRIGGER journal_entries_append_only" in sql
    assert "RAISE_APPLICATION_ERROR" in sql
