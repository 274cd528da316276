"""Tests for the Alembic migrations of the reporting service."""

from pathlib import Path

from alembic import command
from recon_common.migrations import alembic_config
from sqlalchemy import create_engine, inspect


def table_names(path: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        return set(inspect(engine).get_table_names())
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
