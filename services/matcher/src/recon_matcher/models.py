"""Tables of the matcher service."""

from datetime import date, datetime
from decimal import Decimal

from recon_common.db import NAMING_CONVENTION, MoneyType, UtcDateTime, id_string
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from sqlalchemy import Date, ForeignKey, Index, Integer, MetaData, String, Text, text
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

    file_id: Mapped[str] = mapped_column(id_string(36), primary_key=True)
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
    """A stored transaction with its reconciliation and side."""

    __tablename__ = "transactions"

    transaction_id: Mapped[str] = mapped_column(id_string(80), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(id_string(36), index=True)
    record_kind: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    value_date: Mapped[date] = mapped_column(Date)
    reconciliation_id: Mapped[str | None] = mapped_column(String(100), index=True)
    side: Mapped[str | None] = mapped_column(String(1))
    # The match state is not stored here: `reconciliation.states` derives it from
    # `match_group_items`, `match_groups` and `breaks`, so that storing a matching
    # run never rewrites these wide rows.
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


# The statuses of dissolved groups kept as tombstones (`reconciliation.groups`),
# as literal SQL, so that a query with the same text can use the partial index.
TOMBSTONE_CONDITION = "status IN ('unmatched', 'rejected')"
PROPOSED_CONDITION = "status = 'proposed'"


class MatchGroupRecord(Base):
    """One match group, made by a pass or by an operator.

    An unmatched or rejected group stays as a tombstone without items. A group that
    a re-run undoes is deleted. The audit events and the `matches-produced`
    messages keep the history of both.
    """

    __tablename__ = "match_groups"

    group_id: Mapped[str] = mapped_column(id_string(36), primary_key=True)
    reconciliation_id: Mapped[str] = mapped_column(String(100), index=True)
    pass_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[Decimal] = mapped_column(MoneyType())
    amount_difference: Mapped[Decimal] = mapped_column(MoneyType())
    days_apart: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    matched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # engine or manual. A re-run leaves manual groups alone.
    origin: Mapped[str] = mapped_column(String(20), server_default="engine")
    created_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    # The operator who confirmed a proposed group. A re-run leaves such groups alone.
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    # The definition version that formed the group (or checked a manual match).
    # NULL for groups stored before versions were recorded.
    definition_version: Mapped[int | None] = mapped_column(Integer)
    # The sorted transaction ids of a tombstone as a JSON array, written when an
    # operator dissolves the group, because its items are deleted then. The engine
    # compares its new groups with these sets, whatever pass formed either group.
    # NULL on live groups and on tombstones whose items were not recorded.
    tombstone_item_ids: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # Tombstones (unmatched or rejected groups) of a reconciliation, looked up
        # before every run. Partial where the database supports it, so the engine's
        # groups cost no entry. Oracle ignores the predicate and indexes every row.
        Index(
            "ix_match_groups_tombstones",
            "status",
            "reconciliation_id",
            postgresql_where=text(TOMBSTONE_CONDITION),
            sqlite_where=text(TOMBSTONE_CONDITION),
        ),
        # Proposed groups of a reconciliation, counted after every run and action.
        Index(
            "ix_match_groups_proposed",
            "reconciliation_id",
            postgresql_where=text(PROPOSED_CONDITION),
            sqlite_where=text(PROPOSED_CONDITION),
        ),
    )


class MatchGroupItem(Base):
    """Membership of a transaction in a live group.

    `transaction_id` is the primary key, so the database itself rejects one item in
    two live groups. The table has no foreign keys: their triggers made COPY of the
    items about five times slower (`bench/store_layouts.py`). `reconciliation.groups`
    inserts a group before its items and deletes the items before the group, and
    only ever groups stored transactions.
    """

    __tablename__ = "match_group_items"

    transaction_id: Mapped[str] = mapped_column(id_string(80), primary_key=True)
    group_id: Mapped[str] = mapped_column(id_string(36), index=True)


class BreakRecord(Base):
    """The break of a transaction that no group holds, kept after it closes.

    `state` is open or assigned while the item waits for a counterpart, closed once
    a group takes it, and written_off when an approved write-off or force-close
    ends it.
    """

    __tablename__ = "breaks"

    transaction_id: Mapped[str] = mapped_column(
        ForeignKey("transactions.transaction_id"), primary_key=True
    )
    reconciliation_id: Mapped[str] = mapped_column(String(100), index=True)
    side: Mapped[str] = mapped_column(String(1))
    reason: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), index=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    # value_date or arrival, and the date that the age counts from.
    age_basis: Mapped[str] = mapped_column(String(20))
    age_date: Mapped[date] = mapped_column(Date)
    amount_band: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CommentRecord(Base):
    """An operator's comment on a break or a match group."""

    __tablename__ = "comments"

    comment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # break or group
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(id_string(80), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApprovalRecord(Base):
    """A write-off or force-close request that a second user approves or rejects."""

    __tablename__ = "approvals"

    approval_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(
        ForeignKey("transactions.transaction_id"), index=True
    )
    # write_off or force_close
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    # pending, approved, rejected or withdrawn (a run matched the item)
    state: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
