"""Set-based SQL for storing match results without one ORM object per row.

Every function runs in the caller's transaction. Each one flushes the session
first, so pending ORM changes, such as a group row that its items need, reach the
database before the statements that depend on them. Rows are written with Core
statements: inserts as COPY on PostgreSQL and one executemany per batch elsewhere,
updates as one statement per batch of ids. Core statements bypass the session, so
`sync_loaded` copies written values into any instance of a written row that the
session has loaded, as committed state. The session then shows no stale
values and does not write them again at the next flush.

On PostgreSQL, look-ups and updates by id send the ids as one array parameter
(`= ANY(:ids)`), `ARRAY_BATCH` ids a statement. Elsewhere they use IN lists of
`IN_BATCH` ids, below Oracle's limit of 1,000 expressions in one IN list and
SQLite's default limit of 999 bound parameters before version 3.32.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import (
    ColumnElement,
    Dialect,
    String,
    Table,
    any_,
    bindparam,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

IN_BATCH = 500
# PostgreSQL 15 planned a batch of 50,000 ids against 200,000 transactions as a hash
# join over a sequential scan of the whole table, so each batch cost a full scan.
# Batches of up to 1,000,000 ids keep a million-item run at one or two scans. Such
# an array parameter is an estimated 15 to 20 MB.
ARRAY_BATCH = 1_000_000
# Rows per executemany call. It bounds the bound-parameter lists that are built
# for one call, which hold a processed copy of every row. COPY streams all rows.
INSERT_BATCH = 20_000
# Marks "no value seen yet" in `_processed`, where None is a valid value.
_NOTHING = object()


def table_of(model: type[DeclarativeBase]) -> Table:
    """Return the Core table that `model` maps."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} maps {type(table).__name__}, not a Table")
    return table


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
    column: ColumnElement[str],
    ids: Sequence[str],
    *,
    postgresql: bool,
    array_batch: int | None = None,
) -> Iterator[ColumnElement[bool]]:
    """Yield one `column` membership condition per batch of `ids`.

    `array_batch` caps PostgreSQL's batches below `ARRAY_BATCH`: a smaller array
    keeps the planner on the index where a large one would make it scan the table.
    """
    if postgresql:
        size = ARRAY_BATCH if array_batch is None else min(array_batch, ARRAY_BATCH)
        for batch in batches(ids, size):
            yield column == any_(
                bindparam(None, list(batch), type_=ARRAY(String()), unique=True)
            )
        return
    for batch in batches(ids, IN_BATCH):
        yield column.in_(batch)


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `rows` into `table`. Every row must have the same keys."""
    if not rows:
        return
    columns = list(rows[0])
    values = itemgetter(*columns)
    if len(columns) == 1:
        tuples = [(values(row),) for row in rows]
    else:
        tuples = [values(row) for row in rows]
    await insert_tuples(session, table, columns=columns, rows=tuples)


async def insert_tuples(
    session: AsyncSession,
    table: Table,
    *,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert `rows`, each the values of `columns` in order, into `table`.

    PostgreSQL gets the rows through COPY. Elsewhere they go as executemany of a
    Core insert, `INSERT_BATCH` rows a call.
    """
    if not rows:
        return
    await session.flush()
    if await is_postgresql(session):
        await _copy_rows(session, table, columns, rows)
        return
    for batch in batches(rows, INSERT_BATCH):
        await session.execute(
            table.insert(), [dict(zip(columns, row, strict=True)) for row in batch]
        )


async def _copy_rows(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    # One COPY on the session's own asyncpg connection, so the rows belong to the
    # session's transaction. asyncpg encodes the rows as it sends them, so Python
    # builds each processed row only when the stream reaches it. In one measurement
    # on PostgreSQL 15 with 2 shared cores, COPY took 3.7 s and executemany 5.8 s
    # for 100,000 transaction rows.
    connection = await session.connection()
    processors = _bind_processors(table, columns, connection.dialect)
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None:
        raise RuntimeError("the session's PostgreSQL connection is closed")
    if not driver.is_in_transaction():
        # SQLAlchemy's asyncpg adapter sends BEGIN with the first statement that
        # goes through it. A COPY sent first would bypass it and commit on its own,
        # so that a later error could not roll it back.
        await connection.execute(select(1))
    try:
        await driver.copy_records_to_table(
            table.name,
            records=_processed(rows, processors) if processors else rows,
            columns=list(columns),
            schema_name=table.schema,
        )
    except asyncpg.IntegrityConstraintViolationError as error:
        # The exception class that an INSERT raises, so callers see no difference.
        raise IntegrityError(f"COPY {table.name}", None, error) from error
    except asyncpg.PostgresError as error:
        raise DBAPIError(f"COPY {table.name}", None, error) from error


def _bind_processors(
    table: Table, columns: Sequence[str], dialect: Dialect
) -> list[tuple[int, Callable[[Any], Any]]]:
    # The column types' own bind processors, so that COPY sends the same values as
    # an INSERT would (UtcDateTime converts to UTC, for example). Columns without
    # one, such as strings, go as they are.
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            found.append((index, processor))
    return found


def _processed(
    rows: Iterable[Sequence[Any]],
    processors: Sequence[tuple[int, Callable[[Any], Any]]],
) -> Iterator[list[Any]]:
    """Yield each row with its values passed through the column's bind processor.

    A value that is the same object as the one before in its column, such as the
    one `matched_at` of all groups of a run, reuses the earlier result. The values
    that the types here process (datetime, Decimal) are immutable, so the result
    cannot differ.
    """
    last_inputs: list[object] = [_NOTHING] * len(processors)
    last_outputs: list[Any] = [None] * len(processors)
    for row in rows:
        values = list(row)
        for position, (index, processor) in enumerate(processors):
            value = values[index]
            if value is not last_inputs[position]:
                last_inputs[position] = value
                last_outputs[position] = processor(value)
            values[index] = last_outputs[position]
        yield values


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
