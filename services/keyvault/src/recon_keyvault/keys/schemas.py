"""API models of bank keys. Key material never appears in them."""

from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field

from recon_keyvault.models import BankKey, KeyState


class KeyCreate(BaseModel):
    alias: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class KeyOut(BaseModel):
    key_id: str
    bank_id: str
    alias: str
    description: str | None
    state: KeyState
    backend: str
    current: bool
    created_by: str
    created_at: datetime
    state_changed_at: datetime

    @classmethod
    def from_row(cls, row: BankKey) -> Self:
        """Build the API model from a key row."""
        return cls(
            key_id=row.key_id,
            bank_id=row.bank_id,
            alias=row.alias,
            description=row.description,
            state=row.state,
            backend=row.backend,
            current=row.current_for_bank is not None,
            created_by=row.created_by,
            created_at=row.created_at,
            state_changed_at=row.state_changed_at,
        )


class KeyList(BaseModel):
    keys: list[KeyOut]
