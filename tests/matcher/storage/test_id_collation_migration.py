"""The migration that makes PostgreSQL compare ids byte by byte keeps every row.

It changes the collation of the id columns that the matcher joins on, drops and
adds the two foreign keys to `transactions` around the change, and does the reverse
on downgrade.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from recon_common.db import create_engine
from recon_common.migrations import alembic_config, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from recon_platform.infra.postgres import create_database, drop_database

PACKAGE = "recon_matcher"
BEFORE = "2026_12_05_matcher_group_version"
ID_COLUMNS = {
    ("files", "file_id"),
    ("transactions", "transaction_id"),
    ("transactions", "file_id"),
    ("match_groups", "group_id"),
    ("match_group_items", "transaction_id"),
    ("match_group_items", "group_id"),
    ("breaks", "transaction_id"),
    ("approvals", "transaction_id"),
    ("comments", "target_id"),
}
ROWS = [
    "INSERT INTO transactions (transaction_id, bank_id, file_id, record_kind, "
    "account, currency, amount, value_date, reconciliation_id, side, body, "
    "received_at) VALUES "
    "('f1:0', 'bank', 'f1', 'statement', 'DE00', 'EUR', 10, '2026-11-02', 'r', 'A', "
    "'{}', now()), "
    "('f1:1', 'bank', 'f1', 'ledger', '1000', 'EUR', 10, '2026-11-02', 'r', 'B', "
    "'{}', now()), "
    "('f1:2', 'bank', 'f1', 'ledger', '1000', 'EUR', 7, '2026-11-02', 'r', 'B', "
    "'{}', now())",
    "INSERT INTO match_groups (group_id, reconciliation_id, pass_name, status, score, "
    "amount_difference, days_apart, explanation, matched_at) VALUES "
    "('g1', 'r', 'reference', 'confirmed', 1, 0, 0, 'reference agreed', now())",
    "INSERT INTO match_group_items (transaction_id, group_id) VALUES "
    "('f1:0', 'g1'), ('f1:1', 'g1')",
    "INSERT INTO breaks (transaction_id, reconciliation_id, side, reason, state, "
    "age_basis, age_date, amount_band, opened_at, updated_at) VALUES "
    "('f1:2', 'r', 'B', 'no_counterpart', 'open', 'value_date', '2026-11-02', "
    "'under_1k', now(), now())",
]
# Each stored item with its group's pass, joined across the changed columns.
JOINED = text(
    "SELECT i.transaction_id, g.pass_name, t.account FROM match_group_items i "
    "JOIN match_groups g ON g.group_id = i.group_id "
    "JOIN transactions t ON t.transaction_id = i.transaction_id "
    "ORDER BY i.transaction_id"
)
STORED = [("f1:0", "reference", "DE00"), ("f1:1", "reference", "1000")]


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """Return a database with the rows above, migrated to the revision before."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(postgres_admin_url, name)
    await asyncio.to_thread(upgrade, PACKAGE, url, BEFORE)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in ROWS:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
    try:
        yield url
    finally:
        await drop_database(postgres_admin_url, name)


async def collations(url: str) -> dict[tuple[str, str], str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT table_name, column_name, collation_name "
                    "FROM information_schema.columns WHERE table_schema = 'public'"
                )
            )
            found = {(table, column): name for table, column, name in rows}
    finally:
        await engine.dispose()
    return {key: found[key] for key in ID_COLUMNS}


async def joined_rows(url: str) -> list[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(JOINED)]
    finally:
        await engine.dispose()


async def insert_orphan_break(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(ROWS[-1].replace("'f1:2'", "'missing'")))
    finally:
        await engine.dispose()


async def test_upgrade_gives_every_id_column_the_c_collation(database_url: str) -> None:
    assert set((await collations(database_url)).values()) == {None}

    await asyncio.to_thread(upgrade, PACKAGE, database_url)

    assert set((await collations(database_url)).values()) == {"C"}
    assert await joined_rows(database_url) == STORED
    with pytest.raises(IntegrityError, match="fk_breaks_transaction_id_transactions"):
        await insert_orphan_break(database_url)


async def test_downgrade_restores_the_default_collation(database_url: str) -> None:
    await asyncio.to_thread(upgrade, PACKAGE, database_url)

    config = alembic_config(PACKAGE, database_url)
    await asyncio.to_thread(command.downgrade, config, BEFORE)

    assert set((await collations(database_url)).values()) == {None}
    assert await joined_rows(database_url) == STORED
    with pytest.raises(IntegrityError, match="fk_breaks_transaction_id_transactions"):
        await insert_orphan_break(database_url)
