"""Tables of the reporting service: the read model and the sign-in state.

The read model is built from `matches-produced` events.

Every row is keyed by the natural id that the matcher assigns (file id, transaction
id, group id, reconciliation id), so applying a redelivered chunk again updates the
same rows instead of adding new ones. There are no foreign keys between the tables:
chunks may arrive in any order, and a match group can reach the read model before the
transactions it names. `AuthSession` and `LoginFailure` hold the sign-in state that
every replica of the service shares.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from recon_common.db import NAMING_CONVENTION, MoneyType, UtcDateTime
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from sqlalchemy import Boolean, Date, Index, Integer, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class TransactionStatus(StrEnum):
    """State of a transaction in its reconciliation, derived by `refresh_links`."""

    MATCHED = "matched"
    # An open break, assigned or not.
    OPEN = "open"
    # An operator wrote the break off or force-closed it.
    WRITTEN_OFF = "written_off"
    CLOSED = "closed"
    # No reconciliation has reported the transaction: no definition selects its
    # account, or the chunk with its group or break has not arrived yet.
    UNASSIGNED = "unassigned"
    # A reconciliation reported it before, but it is now in no group and no break,
    # for example while a dissolved group waits for the next run.
    PENDING = "pending"


# Characters at the end of an account number that `account_suffix` stores.
ACCOUNT_SUFFIX_CHARS: Final = 4


def account_suffix(account: str) -> str:
    """Return the last characters of `account` without spaces, as redaction does."""
    return account.replace(" ", "")[-ACCOUNT_SUFFIX_CHARS:]


class ReportFile(Base):
    """A landed file and the outcome of parsing it."""

    __tablename__ = "report_files"

    file_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    landed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    source_format: Mapped[str | None] = mapped_column(String(40))
    record_kind: Mapped[str | None] = mapped_column(String(20))
    transaction_count: Mapped[int] = mapped_column(Integer)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # The file's warnings as a JSON list of strings, NULL when there are none.
    warnings: Mapped[str | None] = mapped_column(Text)


class ReportTransaction(Base):
    """A statement line or ledger entry, with its reconciliation state."""

    __tablename__ = "report_transactions"

    transaction_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(64), index=True)
    source_format: Mapped[str] = mapped_column(String(40))
    record_kind: Mapped[str] = mapped_column(String(20), index=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    # `account_suffix(account)`, set by the read model. The break list filters by
    # the last digits that redacted pages show, and a LIKE on the end of `account`
    # cannot use a B-tree index, so this column carries the index instead.
    account_suffix: Mapped[str | None] = mapped_column(
        String(ACCOUNT_SUFFIX_CHARS), index=True
    )
    currency: Mapped[str] = mapped_column(String(3), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    direction: Mapped[str] = mapped_column(String(10))
    value_date: Mapped[date] = mapped_column(Date, index=True)
    booking_date: Mapped[date | None] = mapped_column(Date)
    reversal: Mapped[bool] = mapped_column(Boolean)
    statement_id: Mapped[str | None] = mapped_column(String(100))
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    customer_reference: Mapped[str | None] = mapped_column(String(100))
    end_to_end_id: Mapped[str | None] = mapped_column(String(100))
    counterparty_name: Mapped[str | None] = mapped_column(String(200))
    counterparty_account: Mapped[str | None] = mapped_column(String(100))
    remittance_info: Mapped[str | None] = mapped_column(Text)
    bank_transaction_code: Mapped[str | None] = mapped_column(String(40))
    source_location: Mapped[str] = mapped_column(String(200))
    # Derived from match groups and breaks by readmodel.service.refresh_links.
    status: Mapped[str] = mapped_column(String(20), index=True)
    reconciliation_id: Mapped[str | None] = mapped_column(String(100), index=True)
    group_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # written_off or closed once an operator action ended the transaction's break.
    break_outcome: Mapped[str | None] = mapped_column(String(20))


# Proposed groups, as literal SQL, so that a query with the same text can use the
# partial index below.
PROPOSED_CONDITION = "status = 'proposed'"


class ReportMatchGroup(Base):
    """Transactions that the matcher paired, and why."""

    __tablename__ = "report_match_groups"

    group_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    reconciliation_id: Mapped[str] = mapped_column(String(100), index=True)
    pass_name: Mapped[str] = mapped_column(String(100))
    score: Mapped[Decimal] = mapped_column(MoneyType())
    amount_difference: Mapped[Decimal] = mapped_column(MoneyType())
    days_apart: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    matched_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # confirmed or proposed; engine or manual.
    status: Mapped[str] = mapped_column(String(20), server_default="confirmed")
    origin: Mapped[str] = mapped_column(String(20), server_default="engine")
    # The matcher's definition version that formed the group; NULL when the
    # message did not say (older matcher versions).
    definition_version: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        # The review queue and the dashboard count read only proposed groups.
        # Partial where the database supports it; Oracle indexes every row.
        Index(
            "ix_report_match_groups_proposed",
            "reconciliation_id",
            "matched_at",
            postgresql_where=text(PROPOSED_CONDITION),
            sqlite_where=text(PROPOSED_CONDITION),
        ),
    )


class ReportMatchItem(Base):
    """One transaction of a match group."""

    __tablename__ = "report_match_items"

    group_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(
        String(100), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class ReportBreak(Base):
    """An open break: a transaction that found no counterpart."""

    __tablename__ = "report_breaks"

    transaction_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    reconciliation_id: Mapped[str] = mapped_column(String(100), index=True)
    side: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # open or assigned. Ending a break deletes the row and stores the outcome in
    # report_break_outcomes, which refresh_links copies to the transaction.
    state: Mapped[str] = mapped_column(String(20), server_default="open")
    assignee: Mapped[str | None] = mapped_column(String(200))
    age_basis: Mapped[str | None] = mapped_column(String(20))
    # The day the age counts from: the matcher's age_date, else the UTC opening day.
    age_date: Mapped[date | None] = mapped_column(Date)
    amount_band: Mapped[str | None] = mapped_column(String(20))
    pending_approval_id: Mapped[str | None] = mapped_column(String(36))
    pending_action: Mapped[str | None] = mapped_column(String(20))
    requested_by: Mapped[str | None] = mapped_column(String(200))


class ReportBreakOutcome(Base):
    """The outcome of a transaction's break, from the newest message that changed it.

    Opening, updating and ending a break all count as changes. The row outlives the
    open break and may exist before the transaction reaches the read model, so
    `refresh_links` can copy the outcome to the transaction whichever message
    arrives first. A break change from a message sent before `sent_at` is
    out of date and skipped.
    """

    __tablename__ = "report_break_outcomes"

    transaction_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    reconciliation_id: Mapped[str] = mapped_column(String(100))
    # written_off or closed, or None while the break is open or assigned.
    outcome: Mapped[str | None] = mapped_column(String(20))
    # Envelope time of that `matches-produced` message.
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReportComment(Base):
    """An operator's comment on a break or a match group."""

    __tablename__ = "report_comments"

    comment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(100), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReportReconciliation(Base):
    """The newest counts that the matcher reported for one reconciliation."""

    __tablename__ = "report_reconciliations"

    reconciliation_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    transactions: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    open_breaks: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(100))
    # Time of the event that carried these counts. An older event never overwrites.
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuthSession(Base):
    """A browser session or an API bearer token from one sign-in.

    The cookie or token carries a random session id. The table stores only the id's
    SHA-256 digest, so a copy of the table cannot be turned into a working session.
    """

    __tablename__ = "auth_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    # browser or api_token: a cookie's session id is not accepted as a token.
    kind: Mapped[str] = mapped_column(String(20))
    # 45 characters fit the longest textual IPv6 address.
    client_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class LoginFailure(Base):
    """A sign-in attempt that counts as failed unless a later success resets it."""

    __tablename__ = "login_failures"

    failure_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=True
    )
    username: Mapped[str] = mapped_column(String(200), index=True)
    client_address: Mapped[str | None] = mapped_column(String(45), index=True)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # Set by a successful sign-in of the same username. Only the username's counter
    # is reset, and the client address's counter still counts the row.
    reset_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
