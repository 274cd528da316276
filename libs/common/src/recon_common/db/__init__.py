"""Database plumbing: engines for SQLite, PostgreSQL and Oracle, sessions, types."""

from recon_common.db.engine import create_engine, create_sessionmaker, session_scope
from recon_common.db.types import (
    BYTE_ORDER_COLLATION,
    NAMING_CONVENTION,
    MoneyType,
    UtcDateTime,
    id_string,
)

__all__ = [
    "BYTE_ORDER_COLLATION",
    "NAMING_CONVENTION",
    "MoneyType",
    "UtcDateTime",
    "create_engine",
    "create_sessionmaker",
    "id_string",
    "session_scope",
]
