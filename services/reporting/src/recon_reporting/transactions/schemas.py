"""API models of transactions."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel
from recon_common.events import Direction, RecordKind

from recon_reporting.models import TransactionStatus


class ListedStatus(StrEnum):
    """A transaction's status as the transaction API lists and filters it.

    It is the stored `TransactionStatus`, except that an unassigned entry of an
    intraday report (MT942, camt.052) is `intraday`. The matcher leaves those
    unassigned unless a definition side names their format, because the end-of-day
    statement repeats them, and the summary counts them as `intraday_unassigned`.
    """

    MATCHED = TransactionStatus.MATCHED.value
    OPEN = TransactionStatus.OPEN.value
    WRITTEN_OFF = TransactionStatus.WRITTEN_OFF.value
    CLOSED = TransactionStatus.CLOSED.value
    # Unassigned and not from an intraday report.
    UNASSIGNED = TransactionStatus.UNASSIGNED.value
    PENDING = TransactionStatus.PENDING.value
    INTRADAY = "intraday"


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    """Conditions of a transaction search, where None means no condition."""

    reconciliation_id: str | None = None
    account: str | None = None
    record_kind: RecordKind | None = None
    # A stored `TransactionStatus` filters as the `ListedStatus` of the same value,
    # so `unassigned` leaves intraday entries out.
    status: ListedStatus | TransactionStatus | None = None
    value_date_from: date | None = None
    value_date_to: date | None = None
    currency: str | None = None


class TransactionOut(BaseModel):
    """A transaction as the user may see it: accounts are redacted by role."""

    transaction_id: str
    file_id: str
    # The format of the file, such as `mt940` or `mt942`. An intraday entry and the
    # end-of-day entry that repeats it differ here.
    source_format: str
    record_kind: RecordKind
    account: str
    currency: str
    amount: Decimal
    direction: Direction
    value_date: date
    booking_date: date | None
    reversal: bool
    bank_reference: str | None
    customer_reference: str | None
    end_to_end_id: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    remittance_info: str | None
    status: ListedStatus
    # None while the status is unassigned or intraday.
    reconciliation_id: str | None
    group_id: str | None
    redacted: bool


class TransactionPage(BaseModel):
    """One page of transactions ordered by value date and id.

    Pass `next_cursor` as `cursor` to read the next page; it is None on the last page.
    """

    items: list[TransactionOut]
    total: int
    limit: int
    offset: int
    next_cursor: str | None
