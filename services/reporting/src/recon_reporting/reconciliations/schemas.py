"""API models of reconciliations and the platform summary."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

_RATE_DESCRIPTION = (
    "auto_matched / transactions, 0 to 1. Manual matches count as matched but not as "
    "auto-matched."
)


class ReconciliationOut(BaseModel):
    """The newest counts that the matcher reported for one reconciliation."""

    reconciliation_id: str
    name: str
    transactions: int
    matched: int = Field(description="transactions in any group, as the matcher counts")
    auto_matched: int = Field(
        description="transactions in confirmed groups that the engine made"
    )
    open_breaks: int
    auto_match_rate: Decimal = Field(description=_RATE_DESCRIPTION)
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
    matched: int = Field(description="transactions in any group, manual ones included")
    auto_matched: int = Field(
        description="transactions in confirmed groups that the engine made"
    )
    unassigned: int = Field(
        description="transactions that no reconciliation has reported: no definition "
        "selects their account. Intraday entries are counted apart"
    )
    intraday_unassigned: int = Field(
        description="entries of intraday reports (MT942, camt.052) that no "
        "reconciliation has reported. They are not reconciled unless a definition "
        "side names their format, because the end-of-day statement repeats them"
    )
    open_breaks: int
    auto_match_rate: Decimal = Field(
        description="auto_matched / (transactions - unassigned - "
        "intraday_unassigned), 0 to 1. Manual matches count as matched but not as "
        "auto-matched."
    )
