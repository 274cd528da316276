"""API models of transactions."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import BaseModel
from recon_common.events import Direction, RecordKind

from recon_reporting.models import TransactionStatus


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    """Conditions of a transaction search, where None means no condition."""

    reconciliation_id: str | None = None
    account: str | None = None
    record_kind: RecordKind | None = None
    status: TransactionStatus | None = None
    value_date_from: date | None = None
    value_date_to: date | None = None
    currency: str | None = None


class TransactionOut(BaseModel):
    """A transaction as the user may see it: accounts are redacted by role."""

    transaction_id: str
    file_id: str
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
    status: TransactionStatus
    # None while the status is unassigned.
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
