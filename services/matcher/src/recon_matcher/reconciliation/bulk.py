"""Set-based SQL for storing match results without one ORM object per row.

Every function runs in the caller's transaction. Each one flushes the session
first, so pending ORM changes, such as a transaction row that a group item refers
to, reach the database before the statements that depend on them. Rows are written
with Core statements: inserts as one executemany per batch, updates as one
statement per batch of ids. Core statements bypass the session. So after writing,
the functions copy the new values into any instance that the session already holds
for a written row, as committed state. The session then shows no stale values and
does not write them again at the next flush.

On PostgreSQL, look-ups and updates by id send the ids as one array parameter
(`= ANY(:ids)`), `ARRAY_BATCH` ids a statement. Elsewhere they use IN lists of
`IN_BATCH` ids, below Oracle's limit of 1,000 expressions in one IN list and
SQLite's default limit of 999 bound parameters before version 3.32.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, String, Table, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from recon_matcher.models import MatchGroupItem, TransactionRecord

IN_BATCH = 500
# PostgreSQL 15 planned a batch of 50,000 ids against 200,000 transactions as a hash
# join over a sequential scan of the whole table, so each batch cost a full scan.
# Batches of up to 1,000,000 ids keep a million-item run at one or two scans. Such
# an array parameter is an estimated 15 to 20 MB.
ARRAY_BATCH = 1_000_000
# Rows per executemany call or COPY. It bounds the bound-parameter lists and
# records that are built for one call, which hold a processed copy of every row.
INSERT_BATCH = 20_000


def table_of(model: type[DeclarativeBase]) -> Table:
    """Return the Core table that `model` maps."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} maps {type(table).__name__}, not a Table")
    return table


_TRANSACTIONS: Final = table_of(TransactionRecord)
_ITEMS: Final = table_of(MatchGroupItem)


# Whether PostgreSQL sessions take the PostgreSQL-only statements. Tests turn it off
# to run the portable statements on PostgreSQL as well.
POSTGRESQL_FAST_PATH = True


async def is_postgresql(session: AsyncSession) -> bool:
    """Return whether the session is on PostgreSQL and may use its fast path."""
    connection = await session.connection()
    return POSTGRESQL_FAST_PATH and connection.dialect.name == "postgresql"


def batches[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of `items` of at most `size` entries."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def id_batches(
    column: ColumnElement[str], ids: Sequence[str], *, postgresql: bool
) -> Iterator[ColumnElement[bool]]:
    """Yield one `column` membership condition per batch of `ids`."""
    if postgresql:
        for batch in batches(ids, ARRAY_BATCH):
            yield column == any_(
                bindparam(None, list(batch), type_=ARRAY(String()), unique=True)
            )
        return
    for batch in batches(ids, IN_BATCH):
        yield column.in_(batch)


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `rows` into `table`. Every row must have the same keys.

    PostgreSQL gets the rows through COPY. Elsewhere they go as executemany of a
    Core insert, `INSERT_BATCH` rows a call.
    """
    if not rows:
        return
    await session.flush()
    if await is_postgresql(session):
        await _copy_rows(session, table, rows)
        return
    for batch in batches(rows, INSERT_BATCH):
        await session.execute(table.insert(), list(batch))


async def _copy_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    # COPY on the session's own asyncpg connection, so the rows belong to the
    # session's transaction. In one measurement on PostgreSQL 15 with 2 shared cores,
    # COPY took 3.7 s and executemany 5.8 s for 100,000 transaction rows.
    connection = await session.connection()
    dialect = connection.dialect
    names = list(rows[0])

    # The column types' own bind processors, so that COPY sends the same values as
    # an INSERT would (UtcDateTime converts to UTC, for example).
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in names
    ]

    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None:
        raise RuntimeError("the session's PostgreSQL connection is closed")
    for batch in batches(rows, INSERT_BATCH):
        records = [
            tuple(
                value if processor is None else processor(value)
                for value, processor in zip(
                    (row[name] for name in names), processors, strict=True
                )
            )
            for row in batch
        ]
        try:
            await driver.copy_records_to_table(
                table.name, records=records, columns=names, schema_name=table.schema
            )
        except asyncpg.IntegrityConstraintViolationError as error:
            # The exception class that an INSERT raises, so callers see no difference.
            raise IntegrityError(f"COPY {table.name}", None, error) from error
        except asyncpg.PostgresError as error:
            raise DBAPIError(f"COPY {table.name}", None, error) from error


async def update_rows(
    session: AsyncSession,
    table: Table,
    *,
    key: str,
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Update `table` by its primary key `key` with executemany, one set per row.

    Every row sets the same columns: the keys of the first row other than `key`.
    """
    if not rows:
        return
    await session.flush()
    columns = [name for name in rows[0] if name != key]
    statement = (
        update(table)
        .where(table.c[key] == bindparam(f"match_{key}"))
        .values({name: bindparam(f"set_{name}") for name in columns})
    )
    for batch in batches(rows, INSERT_BATCH):
        params = [
            {f"match_{key}": row[key]} | {f"set_{name}": row[name] for name in columns}
            for row in batch
        ]
        await session.execute(statement, params)


async def mark_grouped(
    session: AsyncSession,
    *,
    transaction_ids: Sequence[str],
    status: str,
) -> None:
    """Set `status` and the group id of each transaction from `match_group_items`.

    The items must be inserted first: the group id is read from them in the same
    statement, so no per-row value crosses the connection.
    """
    if not transaction_ids:
        return
    await session.flush()
    if await is_postgresql(session):
        # PostgreSQL renders this as UPDATE ... FROM match_group_items, a join
        # instead of one subquery per row.
        for condition in id_batches(
            _ITEMS.c.transaction_id, transaction_ids, postgresql=True
        ):
            await session.execute(
                update(_TRANSACTIONS)
                .where(
                    _TRANSACTIONS.c.transaction_id == _ITEMS.c.transaction_id,
                    condition,
                )
                .values(status=status, group_id=_ITEMS.c.group_id)
            )
        return
    group_of = (
        select(_ITEMS.c.group_id)
        .where(_ITEMS.c.transaction_id == _TRANSACTIONS.c.transaction_id)
        .scalar_subquery()
    )
    for condition in id_batches(
        _TRANSACTIONS.c.transaction_id, transaction_ids, postgresql=False
    ):
        await session.execute(
            update(_TRANSACTIONS)
            .where(condition)
            .values(status=status, group_id=group_of)
        )


async def mark_ungrouped(
    session: AsyncSession, *, transaction_ids: Sequence[str], status: str
) -> None:
    """Set `status` and clear the group id of each of `transaction_ids`."""
    if not transaction_ids:
        return
    await session.flush()
    postgresql = await is_postgresql(session)
    for condition in id_batches(
        _TRANSACTIONS.c.transaction_id, transaction_ids, postgresql=postgresql
    ):
        await session.execute(
            update(_TRANSACTIONS).where(condition).values(status=status, group_id=None)
        )


def sync_loaded(
    session: AsyncSession,
    model: type[DeclarativeBase],
    *,
    key: str,
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Copy written `rows` into the instances of `model` that the session holds."""
    identity_map = session.sync_session.identity_map
    if not len(identity_map):
        return
    for row in rows:
        instance = identity_map.get(identity_key(model, (row[key],)))
        if instance is None:
            continue
        for name, value in row.items():
            if name != key:
                set_committed_value(instance, name, value)


def set_loaded(instance: object, values: Mapping[str, Any]) -> None:
    """Set `values` on an instance as committed state, leaving it clean."""
    for name, value in values.items():
        set_committed_value(instance, name, value)
