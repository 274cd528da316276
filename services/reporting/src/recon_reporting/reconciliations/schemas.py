"""API models of reconciliations and the platform summary."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class ReconciliationOut(BaseModel):
    """The newest counts that the matcher reported for one reconciliation."""

    reconciliation_id: str
    name: str
    transactions: int
    matched: int
    open_breaks: int
    auto_match_rate: Decimal = Field(description="matched / transactions, 0 to 1")
    run_id: str
    reported_at: datetime


class ReconciliationList(BaseModel):
    """All reconciliations, by name."""

    items: list[ReconciliationOut]


class Summary(BaseModel):
    """Totals over the whole read model."""

    files: int
    files_rejected: int
    transactions: int
    matched: int
    open_breaks: int
    auto_match_rate: Decimal = Field(description="matched / transactions, 0 to 1")
