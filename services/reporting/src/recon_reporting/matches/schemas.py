"""API models of match groups."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from recon_reporting.transactions.schemas import TransactionOut


class MatchGroupOut(BaseModel):
    """Transactions that the matcher paired, with the pass and the reason."""

    model_config = ConfigDict(from_attributes=True)

    group_id: str
    reconciliation_id: str
    pass_name: str
    score: Decimal
    amount_difference: Decimal
    days_apart: int
    explanation: str
    matched_at: datetime
    # confirmed, or proposed and waiting for an operator's review.
    status: str
    # engine (a pass formed it) or manual (an operator matched the items).
    origin: str
    # The matcher's definition version that formed the group, when known.
    definition_version: int | None = None
    transaction_ids: list[str]


class MatchGroupDetail(MatchGroupOut):
    """A match group with the known transactions it pairs."""

    items: list[TransactionOut]


class MatchGroupPage(BaseModel):
    """One page of match groups, newest first."""

    items: list[MatchGroupOut]
    total: int
    limit: int
    offset: int
