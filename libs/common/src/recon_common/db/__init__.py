"""Database plumbing: engines for SQLite, PostgreSQL and Oracle, sessions, types."""

from recon_common.db.engine import create_engine, create_sessionmaker, session_scope
from recon_common.db.types import NAMING_CONVENTION, MoneyType, UtcDateTime

__all__ = [
    "NAMING_CONVENTION",
    "MoneyType",
    "UtcDateTime",
    "create_engine",
    "create_sessionmaker",
    "session_scope",
]
