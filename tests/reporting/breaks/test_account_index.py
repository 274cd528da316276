"""The account ending filter reads the `account_suffix` index and is backfilled.

A LIKE with a leading wildcard cannot use a B-tree index, so the filter goes
through the indexed last 4 characters of each account instead.
"""

import uuid
from pathlib import Path

from alembic import command
from recon_common.migrations import alembic_config, upgrade, upgrade_async
from recon_reporting.breaks.repository import AccountMatch, account_condition
from recon_reporting.models import ReportBreak, ReportTransaction
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine

from recon_platform.infra.postgres import create_database, drop_database

# The revision before the one that adds `account_suffix`.
PREVIOUS_REVISION = "2026_12_05_report_proposed_index"
INSERT_TRANSACTION = text(
    "INSERT INTO report_transactions (transaction_id, file_id, source_format, "
    "record_kind, account, currency, amount, direction, value_date, reversal, "
    "source_location, status) VALUES (:transaction_id, 'f1', 'mt940', 'statement', "
    ":account, 'EUR', 1, 'credit', '2026-12-01', false, 'f1:1', 'open')"
)


def break_count_query(match: AccountMatch) -> str:
    """Return the PostgreSQL text of the break count with an account filter."""
    query = (
        select(func.count())
        .select_from(ReportBreak)
        .join(
            ReportTransaction,
            ReportTransaction.transaction_id == ReportBreak.transaction_id,
        )
        .where(account_condition(match))
    )
    compiled = query.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


async def test_account_ending_reads_suffix_index(postgres_admin_url: str) -> None:
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(postgres_admin_url, name)
    try:
        await upgrade_async("recon_reporting", url)
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SET enable_seqscan = off"))
                plans = {}
                for digits in ("3000", "2013000"):
                    match = AccountMatch(value=digits, ending=True, min_length=4)
                    rows = await connection.scalars(
                        text("EXPLAIN " + break_count_query(match))
                    )
                    plans[digits] = "\n".join(rows)
        finally:
            await engine.dispose()
    finally:
        await drop_database(postgres_admin_url, name)

    for digits, plan in plans.items():
        assert "ix_report_transactions_account_suffix" in plan, (digits, plan)


def test_account_suffix_backfilled_by_migration(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'backfill.db'}"
    upgrade("recon_reporting", url, PREVIOUS_REVISION)
    engine = create_engine(f"sqlite:///{tmp_path / 'backfill.db'}")
    accounts = {
        "t1": "DE89370400440532013000",
        "t2": "DE89 3704 0044 0532 0130 00",
        "t3": "123",
        "t4": "GL-100200-EUR-4711",
    }
    try:
        with engine.begin() as connection:
            for transaction_id, account in accounts.items():
                connection.execute(
                    INSERT_TRANSACTION,
                    {"transaction_id": transaction_id, "account": account},
                )

        upgrade("recon_reporting", url)

        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT transaction_id, account_suffix FROM report_transactions")
            )
            suffixes = {row[0]: row[1] for row in rows}
    finally:
        engine.dispose()

    assert suffixes == {"t1": "3000", "t2": "3000", "t3": "123", "t4": "4711"}


def test_account_suffix_migration_downgrades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'downgrade.db'}"
    upgrade("recon_reporting", url)

    command.downgrade(alembic_config("recon_reporting", url), PREVIOUS_REVISION)

    engine = create_engine(f"sqlite:///{tmp_path / 'downgrade.db'}")
    try:
        with engine.connect() as connection:
            columns = {
                row[1]
                for row in connection.execute(
                    text("PRAGMA table_info(report_transactions)")
                )
            }
    finally:
        engine.dispose()

    assert "account_suffix" not in columns
    assert "account" in columns
