"""Tables of the ingest service."""

from datetime import date, datetime
from decimal import Decimal

from recon_common.db import NAMING_CONVENTION, MoneyType, UtcDateTime
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class LandedFile(Base):
    """A file received over SFTP and stored in object storage."""

    __tablename__ = "landed_files"

    file_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(500))
    csv_profile: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    source_format: Mapped[str | None] = mapped_column(String(20))
    record_kind: Mapped[str | None] = mapped_column(String(20))
    encoding: Mapped[str | None] = mapped_column(String(30))
    transaction_count: Mapped[int] = mapped_column(Integer, default=0)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[str | None] = mapped_column(Text)
    landed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    parsed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SeenStatement(Base):
    """A statement whose transactions were published, kept to spot repeats.

    `fingerprint` is the SHA-256 of the kind of message (statement, intraday report
    or notification), the account, statement id, sequence number and the opening and
    closing booked balances (amount, currency and date). The lookup is then one
    indexed equality, even where some of these values are missing.
    """

    __tablename__ = "seen_statements"
    __table_args__ = (UniqueConstraint("bank_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(100))
    statement_id: Mapped[str | None] = mapped_column(String(100))
    sequence: Mapped[str | None] = mapped_column(String(50))
    opening_amount: Mapped[Decimal | None] = mapped_column(MoneyType())
    opening_currency: Mapped[str | None] = mapped_column(String(3))
    opening_date: Mapped[date | None] = mapped_column(Date)
    closing_amount: Mapped[Decimal | None] = mapped_column(MoneyType())
    closing_currency: Mapped[str | None] = mapped_column(String(3))
    closing_date: Mapped[date | None] = mapped_column(Date)
    file_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("landed_files.file_id"), index=True
    )
    source_location: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PostedLedgerEntry(Base):
    """A ledger entry that a parsed file posted, kept so a later file cannot repost it.

    `entry_key` is the SHA-256 of the entry's account and entry id, so the unique
    constraint covers ids and accounts of any length. `content` is the JSON array of
    the compared fields (see `parsing.ledger_entries`) and `content_sha256` its
    SHA-256, so a repeat is distinguished from a changed entry without reading
    `content`.
    """

    __tablename__ = "posted_ledger_entries"
    __table_args__ = (UniqueConstraint("bank_id", "entry_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    entry_key: Mapped[str] = mapped_column(String(64))
    # The first 255 characters of the entry id, for people reading the table.
    entry_id: Mapped[str] = mapped_column(String(255))
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("landed_files.file_id"), index=True
    )
    source_location: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())
