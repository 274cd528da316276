"""Column types that behave the same on SQLite, PostgreSQL and Oracle."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class MoneyType(TypeDecorator[Decimal]):
    """An exact decimal: `NUMERIC(38, 10)` on servers, text on SQLite.

    SQLite has no decimal type and would store floats, so there the value is kept as
    its canonical string and turned back into `Decimal` on read.
    """

    impl = Numeric(38, 10)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(38, 10, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money column takes Decimal, not {type(value).__name__}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # normalize() would round to the context's 28 digits and turn 1000 into 1E+3.
        return Decimal(str(value)) if dialect.name == "sqlite" else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC and always returned aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given; pass an aware one"
            )
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# PostgreSQL's collation for identifiers: bytewise comparison, as in Oracle's
# default BINARY sort. Not used on SQLite, which has no collation of that name.
BYTE_ORDER_COLLATION = "C"


def id_string(length: int) -> TypeEngine[str]:
    """Return a string type for identifiers that compares them byte by byte.

    Ids are compared, never sorted for people, so the database's linguistic
    collation buys nothing for them. Under a libc collation such as `en_US.UTF-8`
    (or even `C.UTF-8`), PostgreSQL compares each pair of strings with `strcoll`,
    and the B-tree inserts of a bulk COPY compare often. In one run of
    `bench/store_layouts.py --size 1000000` on PostgreSQL 15, the COPY of
    1,910,000 group items took 7.9 s with `C` against 9.2 s with `C.UTF-8`.
    Columns joined or compared with each other must all use this type, because
    PostgreSQL rejects a comparison of two columns with different collations.
    """
    return String(length).with_variant(
        String(length, collation=BYTE_ORDER_COLLATION), "postgresql"
    )
