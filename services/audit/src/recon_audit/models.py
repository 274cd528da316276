"""Tables of the audit service."""

from datetime import datetime
from enum import StrEnum

from recon_common.db import NAMING_CONVENTION, UtcDateTime
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from sqlalchemy import ForeignKey, Identity, Index, Integer, MetaData, String, Text
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


class JournalSegment(Base):
    """A range of journal entries sealed into object storage.

    The row is inserted before the objects are written and `stored_at` is set after
    both are stored, so a row without `stored_at` is a segment whose writing was
    interrupted and must be written again with the same content.
    """

    __tablename__ = "journal_segments"

    first_sequence: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False
    )
    last_sequence: Mapped[int] = mapped_column(Integer, unique=True)
    last_entry_hash: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the previous segment's manifest bytes, or 64 zeros for the first.
    previous_manifest_hash: Mapped[str] = mapped_column(String(64))
    manifest_hash: Mapped[str] = mapped_column(String(64))
    segment_sha256: Mapped[str] = mapped_column(String(64))
    segment_key: Mapped[str] = mapped_column(String(300))
    manifest_key: Mapped[str] = mapped_column(String(300))
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stored_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    # An alarm whose rule names no notification target.
    NO_TARGETS = "no_targets"


class AlarmRuleHit(Base):
    """A matching event that counts towards a count rule's threshold.

    Rows older than the rule's window are deleted as events arrive, and the rows of
    a group are deleted when they raise an alarm, so each alarm needs new events.
    """

    __tablename__ = "alarm_rule_hits"
    __table_args__ = (
        Index("ix_alarm_rule_hits_rule_group", "rule_name", "group_key", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    rule_name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the values of the rule's `group_by` fields.
    group_key: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Alarm(Base):
    """An alarm that a rule raised, with the journal entries that raised it."""

    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    rule_name: Mapped[str] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    # Fields of the journal entry that completed the match or the count.
    action: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(200))
    event_count: Mapped[int] = mapped_column(Integer)
    # JSON list of the journal sequence numbers, oldest first.
    sequences: Mapped[str] = mapped_column(Text)
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivery_state: Mapped[str] = mapped_column(String(20))


class AlarmDelivery(Base):
    """One notification of an alarm to one target, retried until it is delivered.

    The row is written in the transaction that journals the event, so a crash cannot
    lose it. `next_attempt_at` is also the lease of a claimed row. A worker that dies
    while sending leaves the row to be claimed again when the lease ends.
    """

    __tablename__ = "alarm_deliveries"
    __table_args__ = (
        Index("ix_alarm_deliveries_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id"), index=True)
    target_name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
