"""Appending to and verifying the hash-chained audit journal.

Entry n stores `previous_hash` = hash of entry n-1 (64 zeros for entry 1) and
`entry_hash` = SHA-256 over the previous hash and the canonical JSON of its own fields.
Sequence numbers are dense: appends take a row lock on `journal_head`, so two
writers cannot claim the same number and no number is skipped. Changing, removing or
reordering any entry breaks every later hash, which `verify_chain` reports.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from recon_common.events import AuditEvent, Envelope
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.journal import repository
from recon_audit.journal.repository import GENESIS_HASH
from recon_audit.models import JournalEntry

_VERIFY_BATCH = 1000


def compute_hash(entry: JournalEntry) -> str:
    """Return the SHA-256 of an entry's fields chained to its previous hash."""
    fields = {
        "sequence": entry.sequence,
        "event_id": entry.event_id,
        "bank_id": entry.bank_id,
        "source": entry.source,
        "actor": entry.actor,
        "action": entry.action,
        "outcome": entry.outcome,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "details": entry.details,
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(),
        "recorded_at": entry.recorded_at.astimezone(UTC).isoformat(),
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((entry.previous_hash + canonical).encode()).hexdigest()


async def append(session: AsyncSession, *, envelope: Envelope) -> JournalEntry:
    """Append the audit event in `envelope` as the next journal entry."""
    event = envelope.payload(AuditEvent)
    head = await repository.lock_head(session)
    entry = JournalEntry(
        sequence=head.last_sequence + 1,
        event_id=str(envelope.id),
        bank_id=envelope.bank_id,
        source=envelope.source,
        actor=event.actor,
        action=event.action,
        outcome=event.outcome.value,
        resource_type=event.resource_type,
        resource_id=event.resource_id,
        details=json.dumps(event.details, sort_keys=True),
        occurred_at=event.occurred_at,
        recorded_at=datetime.now(UTC).replace(microsecond=0),
        previous_hash=head.last_hash,
    )
    entry.entry_hash = compute_hash(entry)
    session.add(entry)
    head.last_sequence = entry.sequence
    head.last_hash = entry.entry_hash
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    entries: int
    first_invalid_sequence: int | None
    reason: str | None


async def verify_chain(
    session: AsyncSession,
    *,
    after_sequence: int = 0,
    previous_hash: str = GENESIS_HASH,
) -> ChainReport:
    """Recompute every hash after `after_sequence` in order and report the first break.

    `previous_hash` is the hash of entry `after_sequence`, for example the last
    entry of the newest sealed segment.
    """
    expected_previous = previous_hash
    expected_sequence = after_sequence + 1
    checked = 0
    while True:
        rows = (
            await session.scalars(
                select(JournalEntry)
                .where(JournalEntry.sequence >= expected_sequence)
                .order_by(JournalEntry.sequence)
                .limit(_VERIFY_BATCH)
            )
        ).all()
        if not rows:
            break
        for entry in rows:
            problem = _check_entry(entry, expected_sequence, expected_previous)
            if problem is not None:
                return ChainReport(False, checked, entry.sequence, problem)
            expected_previous = entry.entry_hash
            expected_sequence += 1
            checked += 1
    head = await repository.get_head(session)
    found = after_sequence + checked
    if head is not None and head.last_sequence != found:
        return ChainReport(
            False,
            checked,
            found + 1,
            f"journal head says {head.last_sequence} entries but {found} were found",
        )
    return ChainReport(True, checked, None, None)


def _check_entry(entry: JournalEntry, sequence: int, previous: str) -> str | None:
    if entry.sequence != sequence:
        return f"sequence {sequence} is missing; the next entry is {entry.sequence}"
    if entry.previous_hash != previous:
        return f"entry {sequence} does not chain to the hash of entry {sequence - 1}"
    if compute_hash(entry) != entry.entry_hash:
        return f"entry {sequence} was altered: its content does not match its hash"
    return None
