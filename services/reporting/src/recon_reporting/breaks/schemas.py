"""API models of open breaks."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel
from recon_common.events import BreakReason


class AgeBand(StrEnum):
    """A range of break ages, in whole days since the break's age date."""

    DAYS_0_1 = "0-1d"
    DAYS_2_7 = "2-7d"
    DAYS_8_30 = "8-30d"
    OVER_30 = "over-30d"


class CommentOut(BaseModel):
    """An operator's comment."""

    author: str
    body: str
    created_at: datetime


class BreakOut(BaseModel):
    """An open break with the transaction behind it, accounts redacted by role.

    The transaction fields are None when the transaction has not reached the read
    model yet.
    """

    transaction_id: str
    reconciliation_id: str
    side: str
    reason: BreakReason
    opened_at: datetime
    # Whole days from `age_date` (or, without one, the day it opened) to today.
    age_days: int
    account: str | None
    currency: str | None
    amount: Decimal | None
    direction: str | None
    value_date: date | None
    state: str = "open"
    assignee: str | None = None
    amount_band: str | None = None
    age_basis: str | None = None
    age_date: date | None = None
    # The pending write-off or force-close request that a second user must decide.
    pending_approval_id: str | None = None
    pending_action: str | None = None
    requested_by: str | None = None
    comments: list[CommentOut] = []


class AssigneeOut(BaseModel):
    """A user to whom a break may be assigned."""

    username: str
    role: str


class BreakPage(BaseModel):
    """One page of open breaks, earliest age date first."""

    items: list[BreakOut]
    total: int
    limit: int
    offset: int
