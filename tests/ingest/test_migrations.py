"""The ingest service's own migrations on an empty SQLite database."""

from pathlib import Path

from alembic import command
from recon_common.migrations import alembic_config
from sqlalchemy import create_engine, inspect

PREVIOUS_REVISION = "2026_12_04_seen_statements"


def _table_names(path: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_posted_ledger_entries_migration_reversible(tmp_path: Path) -> None:
    path = tmp_path / "ingest.db"
    config = alembic_config("recon_ingest", f"sqlite+aiosqlite:///{path}")

    command.upgrade(config, "head")
    upgraded = _table_names(path)
    command.downgrade(config, PREVIOUS_REVISION)
    downgraded = _table_names(path)

    assert "posted_ledger_entries" in upgraded
    assert "posted_ledger_entries" not in downgraded
    assert "seen_statements" in downgraded
