"""API models of reconciliations."""

from pydantic import BaseModel


class ReconciliationOut(BaseModel):
    reconciliation_id: str
    name: str
    transactions: int
    matched: int
    proposed: int
    open_breaks: int
