"""Tables of the ingest service."""

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
