"""Tests for the Alembic migrations of the reporting service."""

import asyncio
import uuid
from pathlib import Path

from alembic import command
from recon_common.migrations import alembic_config, upgrade_async
from recon_reporting.models import PROPOSED_CONDITION
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from recon_platform.infra.postgres import create_database, drop_database

FILE_WARNINGS_REVISION = "2026_12_05_report_file_warnings"
BEFORE_FILE_WARNINGS = "2026_12_05_report_account_suffix"


def table_names(path: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def column_names(path: Path, table: str) -> set[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_migrations_upgrade_and_downgrade_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "migrate.db"
    config = alembic_config("recon_reporting", f"sqlite+aiosqlite:///{path}")

    command.upgrade(config, "head")
    upgraded = table_names(path)
    command.downgrade(config, "base")
    downgraded = table_names(path)

    assert {"report_transactions", "report_breaks", "outbox_messages"} <= upgraded
    assert downgraded <= {"alembic_version"}


async def test_proposed_groups_read_through_partial_index(
    postgres_admin_url: str,
) -> None:
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(postgres_admin_url, name)
    try:
        await upgrade_async("recon_reporting", url)
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SET enable_seqscan = off"))
                plan = await connection.scalars(
                    text(
                        "EXPLAIN SELECT count(*) FROM report_match_groups "  # noqa: S608
                        f"WHERE {PROPOSED_CONDITION}"
                    )
                )
                lines = list(plan)
        finally:
            await engine.dispose()
    finally:
        await drop_database(postgres_admin_url, name)

    assert any("ix_report_match_groups_proposed" in line for line in lines), lines


def test_file_warnings_migration_adds_and_drops_column(tmp_path: Path) -> None:
    path = tmp_path / "migrate.db"
    config = alembic_config("recon_reporting", f"sqlite+aiosqlite:///{path}")

    command.upgrade(config, FILE_WARNINGS_REVISION)
    upgraded = column_names(path, "report_files")
    command.downgrade(config, BEFORE_FILE_WARNINGS)
    downgraded = column_names(path, "report_files")

    assert "warnings" in upgraded
    assert "warnings" not in downgraded
    assert "rejection_reason" in downgraded


async def test_file_warnings_migration_round_trip_postgres(
    postgres_admin_url: str,
) -> None:
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(postgres_admin_url, name)
    try:
        await upgrade_async("recon_reporting", url)
        await asyncio.to_thread(
            command.downgrade,
            alembic_config("recon_reporting", url),
            BEFORE_FILE_WARNINGS,
        )
        await upgrade_async("recon_reporting", url)
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                columns = await connection.scalars(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = 'report_files'"
                    )
                )
                names = set(columns)
        finally:
            await engine.dispose()
    finally:
        await drop_database(postgres_admin_url, name)

    assert "warnings" in names
