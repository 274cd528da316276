"""The migration that derives the match state keeps every stored state, both ways.

Rows are written in the layout before the migration, where `transactions.status`
and `transactions.group_id` held the state, including three rows whose stored
status disagrees with their items and breaks. After the upgrade `states` must
derive each stored status, and after the downgrade the two columns must hold the
original values again.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from recon_common.db import (
    MoneyType,
    UtcDateTime,
    create_engine,
    create_sessionmaker,
    session_scope,
)
from recon_common.migrations import alembic_config, upgrade
from recon_matcher.reconciliation import repository, states
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, select

from recon_platform.infra.postgres import create_database, drop_database

PACKAGE = "recon_matcher"
BEFORE = "2026_12_04_matcher_definitions"
AT = datetime(2026, 11, 2, 8, tzinfo=UTC)

_OLD = MetaData()
OLD_TRANSACTIONS = Table(
    "transactions",
    _OLD,
    Column("transaction_id", String(80)),
    Column("bank_id", String(64)),
    Column("file_id", String(36)),
    Column("record_kind", String(20)),
    Column("account", String(64)),
    Column("currency", String(3)),
    Column("amount", MoneyType()),
    Column("value_date", Date),
    Column("reconciliation_id", String(100)),
    Column("side", String(1)),
    Column("status", String(20)),
    Column("group_id", String(36)),
    Column("body", Text),
    Column("received_at", UtcDateTime()),
)
GROUPS = Table(
    "match_groups",
    _OLD,
    Column("group_id", String(36)),
    Column("reconciliation_id", String(100)),
    Column("pass_name", String(100)),
    Column("status", String(20)),
    Column("score", MoneyType()),
    Column("amount_difference", MoneyType()),
    Column("days_apart", Integer),
    Column("explanation", Text),
    Column("matched_at", UtcDateTime()),
)
ITEMS = Table(
    "match_group_items",
    _OLD,
    Column("transaction_id", String(80)),
    Column("group_id", String(36)),
)
BREAKS = Table(
    "breaks",
    _OLD,
    Column("transaction_id", String(80)),
    Column("reconciliation_id", String(100)),
    Column("side", String(1)),
    Column("reason", String(40)),
    Column("state", String(20)),
    Column("assignee", String(200)),
    Column("age_basis", String(20)),
    Column("age_date", Date),
    Column("amount_band", String(20)),
    Column("opened_at", UtcDateTime()),
    Column("updated_at", UtcDateTime()),
)

# transaction id: (stored status, stored group id, item's group, break state)
SCENARIO: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "unassigned-1": ("unassigned", None, None, None),
    "open-1": ("open", None, None, None),
    "open-2": ("open", None, None, "open"),
    "assigned-1": ("open", None, None, "assigned"),
    "matched-1": ("matched", "g-confirmed", "g-confirmed", "closed"),
    "matched-2": ("matched", "g-confirmed", "g-confirmed", None),
    "proposed-1": ("proposed", "g-proposed", "g-proposed", None),
    "proposed-2": ("proposed", "g-proposed", "g-proposed", None),
    "written-off-1": ("written_off", None, None, "written_off"),
    "closed-1": ("closed", None, None, "closed"),
    # Stored status and the other tables disagree. The status wins.
    "matched-no-item": ("matched", "g-confirmed", None, None),
    "open-closed-break": ("open", None, None, "closed"),
    "written-off-live-break": ("written_off", None, None, "open"),
}
# The break state of each row that the upgrade must correct.
ALIGNED_BREAKS = {
    "open-closed-break": "open",
    "written-off-live-break": "written_off",
}


def transaction_row(transaction_id: str) -> dict[str, Any]:
    """Return the old-layout row of a scenario transaction."""
    status, group_id, _, _ = SCENARIO[transaction_id]
    return {
        "transaction_id": transaction_id,
        "bank_id": "bank-1",
        "file_id": "file-1",
        "record_kind": "statement",
        "account": "NL91ABNA0417164300",
        "currency": "EUR",
        "amount": Decimal("10.00"),
        "value_date": date(2026, 11, 2),
        "reconciliation_id": None if status == "unassigned" else "nostro-eur",
        "side": None if status == "unassigned" else "a",
        "status": status,
        "group_id": group_id,
        "body": "{}",
        "received_at": AT,
    }


def group_row(group_id: str, status: str) -> dict[str, Any]:
    """Return a live engine group."""
    return {
        "group_id": group_id,
        "reconciliation_id": "nostro-eur",
        "pass_name": "reference",
        "status": status,
        "score": Decimal(1),
        "amount_difference": Decimal(0),
        "days_apart": 0,
        "explanation": "reference matches",
        "matched_at": AT,
    }


def break_row(transaction_id: str, state: str) -> dict[str, Any]:
    """Return a break of a scenario transaction."""
    return {
        "transaction_id": transaction_id,
        "reconciliation_id": "nostro-eur",
        "side": "a",
        "reason": "no_counterpart",
        "state": state,
        "assignee": "ana" if state == "assigned" else None,
        "age_basis": "value_date",
        "age_date": date(2026, 11, 2),
        "amount_band": "under_1k",
        "opened_at": AT,
        "updated_at": AT,
    }


@pytest.fixture
async def database_url(admin_url: str | None, tmp_path: Path) -> AsyncIterator[str]:
    """Return an empty database migrated to the revision before the change."""
    if admin_url is None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'matcher.db'}"
        name = None
    else:
        name = f"test_{uuid.uuid4().hex[:12]}"
        url = await create_database(admin_url, name)
    await asyncio.to_thread(upgrade, PACKAGE, url, BEFORE)
    try:
        yield url
    finally:
        if name is not None:
            await drop_database(str(admin_url), name)


async def store_old_layout(url: str) -> None:
    """Write the scenario in the layout before the migration."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                OLD_TRANSACTIONS.insert(), [transaction_row(tid) for tid in SCENARIO]
            )
            await connection.execute(
                GROUPS.insert(),
                [
                    group_row("g-confirmed", "confirmed"),
                    group_row("g-proposed", "proposed"),
                ],
            )
            items = [
                {"transaction_id": tid, "group_id": item_group}
                for tid, (_, _, item_group, _) in SCENARIO.items()
                if item_group is not None
            ]
            await connection.execute(ITEMS.insert(), items)
            breaks = [
                break_row(tid, state)
                for tid, (_, _, _, state) in SCENARIO.items()
                if state is not None
            ]
            await connection.execute(BREAKS.insert(), breaks)
    finally:
        await engine.dispose()


async def read_rows(url: str, table: Table, key: str, value: str) -> dict[str, Any]:
    """Return column `value` of every row of `table` by column `key`."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(table.c[key], table.c[value]))
            return {row[0]: row[1] for row in rows}
    finally:
        await engine.dispose()


async def derived_states(url: str) -> tuple[dict[str, str], dict[str, int], set[str]]:
    """Return each state, the counts per state and the open ids of the scenario."""
    engine = create_engine(url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            found = await states.statuses(session, list(SCENARIO))
            counts = await repository.reconciliation_counts(
                session, reconciliation_id="nostro-eur"
            )
            records = await repository.open_transactions(
                session, reconciliation_id="nostro-eur"
            )
    finally:
        await engine.dispose()
    return found, counts, set(records)


async def test_state_migration_upgrade_keeps_states(database_url: str) -> None:
    await store_old_layout(database_url)

    await asyncio.to_thread(upgrade, PACKAGE, database_url)
    derived, counts, open_ids = await derived_states(database_url)
    break_states = await read_rows(database_url, BREAKS, "transaction_id", "state")
    item_groups = await read_rows(database_url, ITEMS, "transaction_id", "group_id")

    for transaction_id, (status, _, _, _) in SCENARIO.items():
        assert derived[transaction_id] == status, transaction_id
    for transaction_id, state in ALIGNED_BREAKS.items():
        assert break_states[transaction_id] == state, transaction_id
    assert item_groups["matched-no-item"] == "g-confirmed"
    assert counts == {
        "open": 4,
        "matched": 3,
        "proposed": 2,
        "written_off": 2,
        "closed": 1,
    }
    assert open_ids == {"open-1", "open-2", "assigned-1", "open-closed-break"}
    assert break_states["open-1"] == "open"


async def test_state_migration_downgrade_restores_columns(database_url: str) -> None:
    await store_old_layout(database_url)
    await asyncio.to_thread(upgrade, PACKAGE, database_url)

    await asyncio.to_thread(
        command.downgrade, alembic_config(PACKAGE, database_url), BEFORE
    )
    stored_states = await read_rows(
        database_url, OLD_TRANSACTIONS, "transaction_id", "status"
    )
    stored_groups = await read_rows(
        database_url, OLD_TRANSACTIONS, "transaction_id", "group_id"
    )

    for transaction_id, (status, group_id, _, _) in SCENARIO.items():
        assert stored_states[transaction_id] == status, transaction_id
        assert stored_groups[transaction_id] == group_id, transaction_id
