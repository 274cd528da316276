"""The format of sealed segments and their manifests.

A segment is the journal entries `first_sequence..last_sequence` as JSON lines, one
entry per line in sequence order, each line the canonical JSON (sorted keys, no
spaces) of every stored column. Its manifest is a JSON object naming the range, the
hash of the last entry, the SHA-256 of the segment bytes, the SHA-256 of the previous
segment's manifest bytes (64 zeros for the first segment) and `sealed_at`. The
manifests form a chain of their own, so removing or replacing a whole segment breaks
the next manifest.

The manifest key contains only the first sequence number, so a reader finds every
segment by starting at sequence 1 and following each manifest's `last_sequence`,
without listing the bucket and without trusting the database.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

from recon_audit.journal.repository import GENESIS_HASH
from recon_audit.models import JournalEntry

MANIFEST_FORMAT = 1
# Widest sequence number in a key: keys sort in sequence order up to 10^12 entries.
_SEQUENCE_DIGITS = 12


class SegmentFormatError(ValueError):
    """A stored segment or manifest that cannot be parsed."""


def segment_key(*, bank_id: str, first_sequence: int, last_sequence: int) -> str:
    """Return the object key of the segment with entries first..last."""
    first = f"{first_sequence:0{_SEQUENCE_DIGITS}d}"
    last = f"{last_sequence:0{_SEQUENCE_DIGITS}d}"
    return f"audit-journal/{bank_id}/segments/{first}-{last}.jsonl"


def manifest_key(*, bank_id: str, first_sequence: int) -> str:
    """Return the object key of the manifest of the segment starting at a sequence."""
    first = f"{first_sequence:0{_SEQUENCE_DIGITS}d}"
    return f"audit-journal/{bank_id}/manifests/{first}.json"


def entry_record(entry: JournalEntry) -> dict[str, Any]:
    """Return the sealed form of an entry: every column, timestamps in UTC ISO 8601."""
    return {
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
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
    }


def entry_from_record(record: dict[str, Any]) -> JournalEntry:
    """Build a detached entry from its sealed form, to recompute its hash."""
    try:
        return JournalEntry(
            sequence=int(record["sequence"]),
            event_id=str(record["event_id"]),
            bank_id=str(record["bank_id"]),
            source=str(record["source"]),
            actor=str(record["actor"]),
            action=str(record["action"]),
            outcome=str(record["outcome"]),
            resource_type=str(record["resource_type"]),
            resource_id=str(record["resource_id"]),
            details=str(record["details"]),
            occurred_at=datetime.fromisoformat(record["occurred_at"]),
            recorded_at=datetime.fromisoformat(record["recorded_at"]),
            previous_hash=str(record["previous_hash"]),
            entry_hash=str(record["entry_hash"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SegmentFormatError(f"invalid sealed entry: {exc}") from exc


def encode_segment(entries: list[JournalEntry]) -> bytes:
    """Return the JSON lines of `entries`, the same bytes for the same entries."""
    lines = [_canonical(entry_record(entry)) for entry in entries]
    return b"".join(line + b"\n" for line in lines)


def decode_segment(data: bytes) -> list[dict[str, Any]]:
    """Return the entry records of a segment, in stored order."""
    records: list[dict[str, Any]] = []
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SegmentFormatError(f"line {number} is not JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise SegmentFormatError(f"line {number} is not a JSON object")
        records.append(record)
    return records


@dataclass(frozen=True)
class Manifest:
    bank_id: str
    first_sequence: int
    last_sequence: int
    last_entry_hash: str
    previous_manifest_hash: str
    segment_key: str
    segment_sha256: str
    sealed_at: datetime

    def encode(self) -> bytes:
        """Return the canonical JSON bytes that are stored and hashed."""
        return _canonical(
            {
                "format": MANIFEST_FORMAT,
                "bank_id": self.bank_id,
                "first_sequence": self.first_sequence,
                "last_sequence": self.last_sequence,
                "entry_count": self.last_sequence - self.first_sequence + 1,
                "last_entry_hash": self.last_entry_hash,
                "previous_manifest_hash": self.previous_manifest_hash,
                "segment_key": self.segment_key,
                "segment_sha256": self.segment_sha256,
                "sealed_at": self.sealed_at.astimezone(UTC).isoformat(),
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """Parse stored manifest bytes."""
        try:
            raw = json.loads(data)
            if raw.get("format") != MANIFEST_FORMAT:
                raise SegmentFormatError(
                    f"manifest format {raw.get('format')!r} is not supported, "
                    f"expected {MANIFEST_FORMAT}"
                )
            return cls(
                bank_id=str(raw["bank_id"]),
                first_sequence=int(raw["first_sequence"]),
                last_sequence=int(raw["last_sequence"]),
                last_entry_hash=str(raw["last_entry_hash"]),
                previous_manifest_hash=str(raw["previous_manifest_hash"]),
                segment_key=str(raw["segment_key"]),
                segment_sha256=str(raw["segment_sha256"]),
                sealed_at=datetime.fromisoformat(raw["sealed_at"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SegmentFormatError):
                raise
            raise SegmentFormatError(f"invalid manifest: {exc}") from exc


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def first_manifest_hash() -> str:
    """Return the `previous_manifest_hash` of the first segment."""
    return GENESIS_HASH


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
