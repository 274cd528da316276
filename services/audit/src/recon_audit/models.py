"""Tables of the audit service."""

from datetime import datetime

from recon_common.db import NAMING_CONVENTION, UtcDateTime
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from sqlalchemy import Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class JournalEntry(Base):
    """One audit record. Rows are only ever inserted: triggers reject updates and
    deletes, and each row's hash covers the previous row's hash."""

    __tablename__ = "journal_entries"

    sequence: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class JournalHead(Base):
    """The single row that serializes appends: last sequence and last hash."""

    __tablename__ = "journal_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
