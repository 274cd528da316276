"""Tests for `MoneyType` and `UtcDateTime` on SQLite and PostgreSQL.

Each test builds a one-table schema of its own, writes through the ORM, and reads the
value back through a new session, so the value comes from the database and not from
the session's identity map.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from recon_common.db import MoneyType, UtcDateTime, create_engine
from recon_common.db.engine import create_sessionmaker, session_scope
from sqlalchemy import Integer, MetaData, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

AMOUNTS = [
    Decimal("0.10"),
    Decimal("-1234.56"),
    Decimal("1000"),
    Decimal("12345678901234567890.1234567890"),
    Decimal("0.0000000001"),
]


class _Base(DeclarativeBase):
    metadata = MetaData()


class Row(_Base):
    __tablename__ = "typed_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount: Mapped[Decimal | None] = mapped_column(MoneyType())
    at: Mapped[datetime | None] = mapped_column(UtcDateTime())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Return an engine on SQLite or PostgreSQL with the `typed_rows` table."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _write(engine: AsyncEngine, row: Row) -> None:
    async with session_scope(create_sessionmaker(engine)) as session:
        session.add(row)


async def _read(engine: AsyncEngine, row_id: int) -> Row:
    async with create_sessionmaker(engine)() as session:
        row = await session.get(Row, row_id)
    assert row is not None
    return row


@pytest.mark.parametrize("amount", AMOUNTS, ids=str)
async def test_money_type_round_trip_exact(
    engine: AsyncEngine, amount: Decimal
) -> None:
    await _write(engine, Row(id=1, amount=amount))

    row = await _read(engine, 1)

    assert isinstance(row.amount, Decimal)
    assert row.amount == amount


async def test_money_type_sqlite_keeps_notation(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/notation.db")
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
    try:
        await _write(engine, Row(id=1, amount=Decimal("1000")))
        await _write(engine, Row(id=2, amount=Decimal("10.50")))

        whole = await _read(engine, 1)
        cents = await _read(engine, 2)
    finally:
        await engine.dispose()

    # A normalized Decimal("1000") prints as "1E+3", which would reach events and pages.
    assert str(whole.amount) == "1000"
    assert str(cents.amount) == "10.50"


async def test_money_type_stores_no_float(engine: AsyncEngine) -> None:
    await _write(engine, Row(id=1, amount=Decimal("0.10")))

    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            stored_type = await connection.scalar(
                text("SELECT typeof(amount) FROM typed_rows")
            )
            expected = "text"
        else:
            stored_type = await connection.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'typed_rows' AND column_name = 'amount'"
                )
            )
            expected = "numeric"

    assert stored_type == expected


async def test_money_type_float_rejected(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError, match="money column takes Decimal, not float"):
        await _write(engine, Row(id=1, amount=0.1))


async def test_money_type_values_add_exactly(engine: AsyncEngine) -> None:
    await _write(engine, Row(id=1, amount=Decimal("0.10")))
    await _write(engine, Row(id=2, amount=Decimal("0.20")))

    async with create_sessionmaker(engine)() as session:
        amounts = (await session.scalars(select(Row.amount).order_by(Row.id))).all()

    assert amounts[0] is not None
    assert amounts[1] is not None
    assert amounts[0] + amounts[1] == Decimal("0.30")


async def test_money_type_null_round_trip(engine: AsyncEngine) -> None:
    await _write(engine, Row(id=1, amount=None, at=None))

    row = await _read(engine, 1)

    assert row.amount is None
    assert row.at is None


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-8))),
    ],
    ids=["utc", "plus-0530", "minus-0800"],
)
async def test_utc_datetime_round_trip_aware(
    engine: AsyncEngine, moment: datetime
) -> None:
    await _write(engine, Row(id=1, at=moment))

    row = await _read(engine, 1)

    assert row.at == moment
    assert row.at is not None
    assert row.at.utcoffset() == timedelta(0)


async def test_utc_datetime_naive_rejected(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await _write(engine, Row(id=1, at=datetime(2026, 12, 4, 9, 30)))  # noqa: DTZ001


async def test_utc_datetime_orders_across_offsets(engine: AsyncEngine) -> None:
    # 10:00+02:00 is 08:00 UTC, before 09:00 UTC, so ordering must use the instant.
    later = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    earlier = datetime(2026, 12, 4, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    await _write(engine, Row(id=1, at=later))
    await _write(engine, Row(id=2, at=earlier))

    async with create_sessionmaker(engine)() as session:
        ids = (await session.scalars(select(Row.id).order_by(Row.at))).all()

    assert list(ids) == [2, 1]
