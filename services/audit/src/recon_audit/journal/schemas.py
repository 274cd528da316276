"""API models of the audit journal."""

import json
from datetime import datetime
from typing import Self

from pydantic import BaseModel

from recon_audit.models import JournalEntry


class JournalEntryOut(BaseModel):
    sequence: int
    event_id: str
    source: str
    actor: str
    action: str
    outcome: str
    resource_type: str
    resource_id: str
    details: dict[str, str]
    occurred_at: datetime
    recorded_at: datetime
    previous_hash: str
    entry_hash: str

    @classmethod
    def from_row(cls, row: JournalEntry) -> Self:
        """Build the API model from a journal row."""
        return cls(
            sequence=row.sequence,
            event_id=row.event_id,
            source=row.source,
            actor=row.actor,
            action=row.action,
            outcome=row.outcome,
            resource_type=row.resource_type,
            resource_id=row.resource_id,
            details=json.loads(row.details),
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            previous_hash=row.previous_hash,
            entry_hash=row.entry_hash,
        )


class JournalPage(BaseModel):
    entries: list[JournalEntryOut]
    next_after_sequence: int | None


class ChainVerification(BaseModel):
    valid: bool
    entries: int
    # Segments found in object storage and the entries they contain. Both are 0
    # when sealing is off.
    sealed_segments: int
    sealed_entries: int
    first_invalid_sequence: int | None
    reason: str | None
    # The next step for the first problem, or None when the journal is valid.
    action: str | None
