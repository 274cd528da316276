"""Tables of the matcher service."""

from datetime import date, datetime
from decimal import Decimal

from recon_common.db import NAMING_CONVENTION, MoneyType, UtcDateTime
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from sqlalchemy import Date, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class FileRecord(Base):
    """A landed file as the matcher learned of it from `transactions-parsed`."""

    __tablename__ = "files"

    file_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    source_format: Mapped[str | None] = mapped_column(String(20))
    record_kind: Mapped[str | None] = mapped_column(String(20))
    transaction_count: Mapped[int] = mapped_column(Integer)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    landed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    chunk_count: Mapped[int] = mapped_column(Integer)
    chunks_received: Mapped[int] = mapped_column(Integer)


class TransactionRecord(Base):
    """A stored transaction with its reconciliation, side and match state."""

    __tablename__ = "transactions"

    transaction_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(String(36), index=True)
    record_kind: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    value_date: Mapped[date] = mapped_column(Date)
    reconciliation_id: Mapped[str | None] = mapped_column(String(100), index=True)
    side: Mapped[str | None] = mapped_column(String(1))
    # open, matched or unassigned (no definition takes it).
    status: Mapped[str] = mapped_column(String(20), index=True)
    group_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MatchGroupRecord(Base):
    """One match group made by a pass."""

    __tablename__ = "match_groups"

    group_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reconciliation_id: Mapped[str] = mapped_column(String(100), index=True)
    pass_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[Decimal] = mapped_column(MoneyType())
    amount_difference: Mapped[Decimal] = mapped_column(MoneyType())
    days_apart: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    matched_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MatchGroupItem(Base):
    """Membership of a transaction in a live group.

    `transaction_id` is unique, so the database itself refuses to put one item in
    two live groups.
    """

    __tablename__ = "match_group_items"

    transaction_id: Mapped[str] = mapped_column(
        ForeignKey("transactions.transaction_id"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(
        ForeignKey("match_groups.group_id"), index=True
    )
