"""The rotation migration on SQLite and PostgreSQL with a key in place, and for Oracle.

No Oracle server runs here, so the Oracle check renders the migration as SQL text in
Alembic's offline mode and checks the text.
"""

import asyncio
import contextlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from recon_common.db import UtcDateTime
from recon_common.migrations import alembic_config, upgrade
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

PACKAGE = "recon_keyvault"
PREVIOUS = "2026_12_04_key_states"
ROTATION = "2026_12_05_key_rotation"
FIRST_KEY = "11111111-1111-4111-8111-111111111111"
SECOND_KEY = "22222222-2222-4222-8222-222222222222"

INSERT_KEY = text(
    "INSERT INTO bank_keys (key_id, bank_id, alias, state, backend, "
    "backend_key_ref, current_for_bank, created_by, created_at, state_changed_at, "
    "origin) VALUES (:key_id, 'bank-a', 'primary', 'enabled', 'local', :key_id, "
    ":current, 'ingest', :now, :now, 'generated')"
).bindparams(bindparam("now", type_=UtcDateTime()))


async def _execute(url: str, statement: str, **values: object) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement), values)
    finally:
        await engine.dispose()


async def _insert_key(url: str, key_id: str, current: str | None) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                INSERT_KEY,
                {"key_id": key_id, "current": current, "now": datetime.now(UTC)},
            )
    finally:
        await engine.dispose()


async def _columns_and_rows(url: str) -> tuple[set[str], list[tuple[object, ...]]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {
                    column["name"] for column in inspect(sync).get_columns("bank_keys")
                }
            )
            selected = "key_id, current_for_bank"
            if "rotated_from_key_id" in columns:
                selected += ", rotated_from_key_id"
            rows = await connection.execute(
                text(f"SELECT {selected} FROM bank_keys ORDER BY key_id")  # noqa: S608
            )
            return columns, [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def _check_up_and_down(url: str) -> None:
    await asyncio.to_thread(upgrade, PACKAGE, url, PREVIOUS)
    await _insert_key(url, FIRST_KEY, "bank-a")

    await asyncio.to_thread(upgrade, PACKAGE, url, ROTATION)
    _, upgraded = await _columns_and_rows(url)
    await _execute(url, "UPDATE bank_keys SET current_for_bank = NULL")
    await _insert_key(url, SECOND_KEY, "bank-a")
    await _execute(
        url,
        "UPDATE bank_keys SET rotated_from_key_id = :first WHERE key_id = :second",
        first=FIRST_KEY,
        second=SECOND_KEY,
    )
    _, rotated = await _columns_and_rows(url)
    await asyncio.to_thread(command.downgrade, alembic_config(PACKAGE, url), PREVIOUS)
    columns_after, downgraded = await _columns_and_rows(url)

    assert upgraded == [(FIRST_KEY, "bank-a", None)]
    assert rotated == [(FIRST_KEY, None, None), (SECOND_KEY, "bank-a", FIRST_KEY)]
    assert "rotated_from_key_id" not in columns_after
    assert downgraded == [(FIRST_KEY, None), (SECOND_KEY, "bank-a")]


async def test_rotation_migration_sqlite(tmp_path: Path) -> None:
    await _check_up_and_down(f"sqlite+aiosqlite:///{tmp_path / 'keyvault.db'}")


@pytest.mark.postgres
async def test_rotation_migration_postgres(postgres_url: str) -> None:
    await _check_up_and_down(postgres_url)


@pytest.mark.postgres
async def test_rotation_foreign_key_postgres(postgres_url: str) -> None:
    await asyncio.to_thread(upgrade, PACKAGE, postgres_url, ROTATION)
    await _insert_key(postgres_url, FIRST_KEY, "bank-a")

    with pytest.raises(IntegrityError, match="fk_bank_keys_rotated_from_key_id"):
        await _execute(
            postgres_url,
            "UPDATE bank_keys SET rotated_from_key_id = :unknown",
            unknown=SECOND_KEY,
        )


def test_rotation_migration_renders_for_oracle() -> None:
    config = alembic_config(
        PACKAGE, "oracle+oracledb://recon:unused@oracle.invalid/RECON"
    )
    output = io.StringIO()
    config.output_buffer = output

    with contextlib.redirect_stdout(output):
        command.upgrade(config, f"{PREVIOUS}:{ROTATION}", sql=True)
    sql = output.getvalue()

    assert "ALTER TABLE bank_keys ADD rotated_from_key_id VARCHAR2(36 CHAR)" in sql
    assert (
        "ADD CONSTRAINT fk_bank_keys_rotated_from_key_id_bank_keys FOREIGN "
        "KEY(rotated_from_key_id) REFERENCES bank_keys (key_id)"
    ) in sql
