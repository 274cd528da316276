"""The migration that records tombstone items recovers them from the outbox.

A tombstone has no items left, so the upgrade reads them from the audit event of
the unmatch or reject while the outbox still contains it. Other tombstones and live
groups keep NULL. The downgrade drops the column.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from recon_common.db import UtcDateTime, create_engine
from recon_common.migrations import alembic_config, upgrade
from sqlalchemy import bindparam, inspect, text

from recon_platform.infra.postgres import create_database, drop_database

PACKAGE = "recon_matcher"
BEFORE = "2026_12_05_matcher_id_collation"
AT = datetime(2026, 11, 2, 8, tzinfo=UTC)
# Bound through the service's column type, as the service writes timestamps.
AT_PARAMETER = bindparam("at", type_=UtcDateTime())
# group id: status
GROUPS = {
    "g-unmatched": "unmatched",
    "g-rejected": "rejected",
    "g-confirmed-only": "unmatched",
    "g-no-event": "rejected",
    "g-live": "confirmed",
}
# (message key, audit action, transaction_ids detail), oldest first.
AUDIT_EVENTS = [
    ("g-unmatched", "match.unmatch", "s1,l1"),
    ("g-rejected", "match.reject", "s2,l2,l3"),
    # An event of another action lists no dissolved items.
    ("g-confirmed-only", "match.confirm", "s4,l4"),
    ("g-live", "match.manual", "s5,l5"),
]


def audit_body(group_id: str, action: str, transaction_ids: str) -> str:
    """Return the outbox body of an audit event on group `group_id`."""
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": "audit-events",
            "source": "matcher",
            "time": AT.isoformat(),
            "bank_id": "bank-1",
            "schema_version": 1,
            "data": {
                "actor": "otto",
                "action": action,
                "outcome": "success",
                "resource_type": "match_group",
                "resource_id": group_id,
                "details": {
                    "reason": "wrong pairing",
                    "transaction_ids": transaction_ids,
                },
                "occurred_at": AT.isoformat(),
            },
        }
    )


async def insert_rows(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for group_id, status in GROUPS.items():
                await connection.execute(
                    text(
                        "INSERT INTO match_groups (group_id, reconciliation_id, "
                        "pass_name, status, score, amount_difference, days_apart, "
                        "explanation, matched_at, origin) VALUES (:group_id, "
                        "'nostro-eur', 'reference', :status, 1, 0, 0, 'agreed', "
                        ":at, 'engine')"
                    ).bindparams(AT_PARAMETER),
                    {"group_id": group_id, "status": status, "at": AT},
                )
            for group_id, action, transaction_ids in AUDIT_EVENTS:
                await connection.execute(
                    text(
                        "INSERT INTO outbox_messages (event_id, topic, message_key, "
                        "body, created_at) VALUES (:event_id, 'audit-events', "
                        ":group_id, :body, :at)"
                    ).bindparams(AT_PARAMETER),
                    {
                        "event_id": str(uuid.uuid4()),
                        "group_id": group_id,
                        "body": audit_body(group_id, action, transaction_ids),
                        "at": AT,
                    },
                )
    finally:
        await engine.dispose()


@pytest.fixture
async def database_url(admin_url: str | None, tmp_path: Path) -> AsyncIterator[str]:
    """Return a database with the rows above, migrated to the revision before."""
    if admin_url is None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'matcher.db'}"
        name = None
    else:
        name = f"test_{uuid.uuid4().hex[:12]}"
        url = await create_database(admin_url, name)
    await asyncio.to_thread(upgrade, PACKAGE, url, BEFORE)
    await insert_rows(url)
    try:
        yield url
    finally:
        if name is not None:
            await drop_database(str(admin_url), name)


async def tombstone_items(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT group_id, tombstone_item_ids FROM match_groups")
            )
            return {group_id: items for group_id, items in rows}
    finally:
        await engine.dispose()


async def group_columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: {
                    column["name"]
                    for column in inspect(sync).get_columns("match_groups")
                }
            )
    finally:
        await engine.dispose()


async def group_ids(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return list(
                await connection.scalars(text("SELECT group_id FROM match_groups"))
            )
    finally:
        await engine.dispose()


async def test_upgrade_recovers_items_from_audit_events(database_url: str) -> None:
    await asyncio.to_thread(upgrade, PACKAGE, database_url)

    found = await tombstone_items(database_url)
    assert found["g-unmatched"] == '["l1", "s1"]'
    assert found["g-rejected"] == '["l2", "l3", "s2"]'
    assert found["g-confirmed-only"] is None
    assert found["g-no-event"] is None
    assert found["g-live"] is None


async def test_downgrade_drops_tombstone_items(database_url: str) -> None:
    await asyncio.to_thread(upgrade, PACKAGE, database_url)

    config = alembic_config(PACKAGE, database_url)
    await asyncio.to_thread(command.downgrade, config, BEFORE)

    columns = await group_columns(database_url)
    assert "tombstone_item_ids" not in columns
    assert "definition_version" in columns
    assert set(await group_ids(database_url)) == set(GROUPS)
