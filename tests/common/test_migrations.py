"""Tests for the shared Alembic helpers and the append-only triggers.

The audit service's migrations serve as the real schema: they create the plumbing
tables and make `journal_entries` append-only.
"""

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from recon_common.db import UtcDateTime, create_engine
from recon_common.db.append_only import append_only_ddl, drop_append_only_ddl
from recon_common.migrations import alembic_config, upgrade_async
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

PACKAGE = "recon_audit"
AUDIT_TABLES = {
    "journal_entries",
    "journal_head",
    "outbox_messages",
    "processed_events",
}
INSERT_ENTRY = text(
    "INSERT INTO journal_entries (sequence, event_id, bank_id, source, actor, action, "
    "outcome, resource_type, resource_id, details, occurred_at, recorded_at, "
    "previous_hash, entry_hash) VALUES (1, 'e-1', 'bank-a', 'ingest', 'alice', "
    "'file.read', 'success', 'file', 'f-1', '{}', :at, :at, :hash, :hash)"
).bindparams(bindparam("at", type_=UtcDateTime()))


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(
            lambda sync: set(inspect(sync).get_table_names())
        )
    return names


async def _downgrade(database_url: str, revision: str) -> None:
    config = alembic_config(PACKAGE, database_url)
    await asyncio.to_thread(command.downgrade, config, revision)


async def _insert_entry(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            INSERT_ENTRY, {"at": datetime(2026, 12, 4, tzinfo=UTC), "hash": "0" * 64}
        )


def _head_revision() -> str:
    """Return the newest revision of the audit service's migration scripts."""
    head = ScriptDirectory.from_config(
        alembic_config(PACKAGE, "sqlite://")
    ).get_current_head()
    assert head is not None
    return head


async def test_upgrade_empty_database_to_head(database_url: str) -> None:
    await upgrade_async(PACKAGE, database_url)

    engine = create_engine(database_url)
    try:
        names = await _table_names(engine)
        async with engine.connect() as connection:
            version = await connection.scalar(
                text("SELECT version_num FROM alembic_version")
            )
    finally:
        await engine.dispose()

    assert AUDIT_TABLES <= names
    assert version == _head_revision()


async def test_downgrade_to_base_drops_tables(database_url: str) -> None:
    await upgrade_async(PACKAGE, database_url)

    await _downgrade(database_url, "base")

    engine = create_engine(database_url)
    try:
        names = await _table_names(engine)
    finally:
        await engine.dispose()
    assert names & AUDIT_TABLES == set()


async def test_upgrade_after_downgrade_succeeds(database_url: str) -> None:
    await upgrade_async(PACKAGE, database_url)
    await _downgrade(database_url, "base")

    await upgrade_async(PACKAGE, database_url)

    engine = create_engine(database_url)
    try:
        names = await _table_names(engine)
    finally:
        await engine.dispose()
    assert AUDIT_TABLES <= names


async def test_upgrade_twice_is_noop(database_url: str) -> None:
    await upgrade_async(PACKAGE, database_url)

    await upgrade_async(PACKAGE, database_url)

    engine = create_engine(database_url)
    try:
        names = await _table_names(engine)
    finally:
        await engine.dispose()
    assert AUDIT_TABLES <= names


@pytest.mark.parametrize(
    "statement",
    ["UPDATE journal_entries SET actor = 'mallory'", "DELETE FROM journal_entries"],
    ids=["update", "delete"],
)
async def test_append_only_trigger_rejects_change(
    database_url: str, statement: str
) -> None:
    await upgrade_async(PACKAGE, database_url)
    engine = create_engine(database_url)
    try:
        await _insert_entry(engine)

        with pytest.raises(DBAPIError, match="journal_entries is append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))

        async with engine.connect() as connection:
            actor = await connection.scalar(text("SELECT actor FROM journal_entries"))
    finally:
        await engine.dispose()
    assert actor == "alice"


@pytest.mark.postgres
async def test_append_only_trigger_rejects_truncate_postgres(
    postgres_url: str,
) -> None:
    await upgrade_async(PACKAGE, postgres_url)
    engine = create_engine(postgres_url)
    try:
        await _insert_entry(engine)

        with pytest.raises(DBAPIError, match="journal_entries is append-only"):
            async with engine.begin() as connection:
                await connection.execute(text("TRUNCATE journal_entries"))

        async with engine.connect() as connection:
            count = await connection.scalar(
                text("SELECT count(*) FROM journal_entries")
            )
    finally:
        await engine.dispose()
    assert count == 1


async def test_append_only_trigger_allows_insert(database_url: str) -> None:
    await upgrade_async(PACKAGE, database_url)
    engine = create_engine(database_url)
    try:
        await _insert_entry(engine)

        async with engine.connect() as connection:
            count = await connection.scalar(
                text("SELECT count(*) FROM journal_entries")
            )
    finally:
        await engine.dispose()

    assert count == 1


def test_append_only_ddl_oracle_text() -> None:
    statements = append_only_ddl("oracle", "journal_entries")

    assert len(statements) == 1
    statement = statements[0]
    assert statement.startswith("CREATE OR REPLACE TRIGGER journal_entries_append_only")
    assert "BEFORE UPDATE OR DELETE ON journal_entries" in statement
    assert "RAISE_APPLICATION_ERROR(-20001," in statement
    assert "journal_entries is append-only" in statement
    assert statement.rstrip().endswith("END;")


def test_drop_append_only_ddl_oracle_text() -> None:
    statements = drop_append_only_ddl("oracle", "journal_entries")

    assert statements == ["DROP TRIGGER journal_entries_append_only"]


@pytest.mark.parametrize("build", [append_only_ddl, drop_append_only_ddl])
def test_append_only_ddl_unknown_dialect_rejected(build: object) -> None:
    assert callable(build)

    with pytest.raises(ValueError, match="'mssql'"):
        build("mssql", "journal_entries")
