"""Sealing journal entries into segments in object storage.

Sealing a segment takes three steps. The first transaction chooses the range (from
the last sealed sequence + 1 to the head, at most `seal_every_entries` entries),
checks its hash chain, and inserts the `journal_segments` row with the manifest's
hashes and `sealed_at`. The segment and then its manifest are written outside any
transaction. A second transaction sets `stored_at`.

A crash after the first transaction leaves a row without `stored_at`. The next round
rebuilds that range from the database with the row's `sealed_at`, which gives the
same bytes, and `put_once` skips objects already stored with those bytes. Objects
with other bytes under the same key raise SegmentConflict, so a range never gets
two different segments. The primary key on `first_sequence` keeps two service
replicas from preparing the same range.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from recon_common.db import session_scope
from recon_common.errors import ReconError
from recon_common.storage import ObjectStore
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_audit.journal import repository as journal_repository
from recon_audit.journal.repository import GENESIS_HASH
from recon_audit.journal.service import compute_hash
from recon_audit.models import JournalEntry, JournalSegment
from recon_audit.sealing import repository
from recon_audit.sealing.segments import (
    Manifest,
    encode_segment,
    first_manifest_hash,
    manifest_key,
    segment_key,
    sha256_hex,
)
from recon_audit.sealing.storage import SegmentConflict, put_once, segment_retention
from recon_audit.settings import AuditSettings

log = structlog.get_logger(__name__)


class UnsealableEntries(ReconError):
    """Entries whose hash chain is broken, so sealing them would hide the damage."""

    status_code = 409


@dataclass(frozen=True)
class SealResult:
    first_sequence: int
    last_sequence: int
    # False when both objects were already stored, after an interrupted round.
    written: bool


async def seal_due(
    sessions: async_sessionmaker[AsyncSession],
    *,
    store: ObjectStore,
    settings: AuditSettings,
    now: datetime | None = None,
) -> list[SealResult]:
    """Seal every due segment, finishing an interrupted one first."""
    results: list[SealResult] = []
    while True:
        segment = await prepare_segment(sessions, settings=settings, now=now)
        if segment is None:
            return results
        results.append(
            await store_segment(
                sessions, store=store, settings=settings, segment=segment
            )
        )


async def prepare_segment(
    sessions: async_sessionmaker[AsyncSession],
    *,
    settings: AuditSettings,
    now: datetime | None = None,
) -> JournalSegment | None:
    """Return the unstored segment row, recording the next due range if needed.

    Return None when no segment is due. Raise UnsealableEntries when the range
    to seal fails its hash chain.
    """
    current_time = now or datetime.now(UTC)
    async with session_scope(sessions) as session:
        latest = await repository.latest_segment(session)
        if latest is not None and latest.stored_at is None:
            return latest
        head = await journal_repository.get_head(session)
        sealed_up_to = latest.last_sequence if latest is not None else 0
        if head is None or head.last_sequence <= sealed_up_to:
            return None
        first = sealed_up_to + 1
        last = min(head.last_sequence, first + settings.seal_every_entries - 1)
        entries = await repository.entries_between(
            session, first_sequence=first, last_sequence=last
        )
        if not _is_due(entries, settings=settings, now=current_time):
            return None
        _check_chain(
            entries,
            first_sequence=first,
            last_sequence=last,
            previous_hash=latest.last_entry_hash if latest else GENESIS_HASH,
        )
        segment = _new_segment(
            entries,
            bank_id=settings.bank_id,
            previous_manifest_hash=(
                latest.manifest_hash if latest else first_manifest_hash()
            ),
            sealed_at=current_time.replace(microsecond=0),
        )
        session.add(segment)
        await session.flush()
        log.info(
            "audit.segment.prepared",
            first_sequence=first,
            last_sequence=last,
        )
        return segment


def _is_due(
    entries: Sequence[JournalEntry], *, settings: AuditSettings, now: datetime
) -> bool:
    if not entries:
        return False
    if len(entries) >= settings.seal_every_entries:
        return True
    oldest = entries[0].recorded_at
    return now - oldest >= timedelta(minutes=settings.seal_after_minutes)


def _check_chain(
    entries: Sequence[JournalEntry],
    *,
    first_sequence: int,
    last_sequence: int,
    previous_hash: str,
) -> None:
    expected_sequence = first_sequence
    for entry in entries:
        if entry.sequence != expected_sequence:
            raise UnsealableEntries(
                f"journal entry {expected_sequence} is missing, so entries "
                f"{first_sequence}..{last_sequence} are not sealed. Run "
                "`recon-audit verify`"
            )
        if entry.previous_hash != previous_hash or compute_hash(entry) != (
            entry.entry_hash
        ):
            raise UnsealableEntries(
                f"journal entry {entry.sequence} fails its hash chain, so entries "
                f"{first_sequence}..{last_sequence} are not sealed. Run "
                "`recon-audit verify`"
            )
        previous_hash = entry.entry_hash
        expected_sequence += 1
    if expected_sequence != last_sequence + 1:
        raise UnsealableEntries(
            f"journal entry {expected_sequence} is missing although the journal "
            f"head is at {last_sequence}. Run `recon-audit verify`"
        )


def _new_segment(
    entries: Sequence[JournalEntry],
    *,
    bank_id: str,
    previous_manifest_hash: str,
    sealed_at: datetime,
) -> JournalSegment:
    first = entries[0].sequence
    last = entries[-1].sequence
    manifest = _manifest(
        entries,
        bank_id=bank_id,
        previous_manifest_hash=previous_manifest_hash,
        sealed_at=sealed_at,
    )
    return JournalSegment(
        first_sequence=first,
        last_sequence=last,
        last_entry_hash=manifest.last_entry_hash,
        previous_manifest_hash=previous_manifest_hash,
        manifest_hash=sha256_hex(manifest.encode()),
        segment_sha256=manifest.segment_sha256,
        segment_key=manifest.segment_key,
        manifest_key=manifest_key(bank_id=bank_id, first_sequence=first),
        sealed_at=sealed_at,
        stored_at=None,
    )


def _manifest(
    entries: Sequence[JournalEntry],
    *,
    bank_id: str,
    previous_manifest_hash: str,
    sealed_at: datetime,
) -> Manifest:
    first = entries[0].sequence
    last = entries[-1].sequence
    return Manifest(
        bank_id=bank_id,
        first_sequence=first,
        last_sequence=last,
        last_entry_hash=entries[-1].entry_hash,
        previous_manifest_hash=previous_manifest_hash,
        segment_key=segment_key(
            bank_id=bank_id, first_sequence=first, last_sequence=last
        ),
        segment_sha256=sha256_hex(encode_segment(list(entries))),
        sealed_at=sealed_at,
    )


async def store_segment(
    sessions: async_sessionmaker[AsyncSession],
    *,
    store: ObjectStore,
    settings: AuditSettings,
    segment: JournalSegment,
) -> SealResult:
    """Write the segment and its manifest, then record them as stored."""
    data, manifest_bytes = await _rebuild_objects(
        sessions, segment=segment, bank_id=settings.bank_id
    )
    retention = segment_retention(settings)
    wrote_segment = await put_once(
        store, segment.segment_key, data, retention=retention
    )
    # The manifest goes last: a manifest in storage means its segment is there too.
    wrote_manifest = await put_once(
        store, segment.manifest_key, manifest_bytes, retention=retention
    )

    async with session_scope(sessions) as session:
        row = await session.get(JournalSegment, segment.first_sequence)
        if row is None:
            log.warning(
                "audit.segment.row_missing", first_sequence=segment.first_sequence
            )
        else:
            row.stored_at = datetime.now(UTC)
    written = wrote_segment or wrote_manifest
    log.info(
        "audit.segment.sealed",
        first_sequence=segment.first_sequence,
        last_sequence=segment.last_sequence,
        segment_key=segment.segment_key,
        written=written,
    )
    return SealResult(
        first_sequence=segment.first_sequence,
        last_sequence=segment.last_sequence,
        written=written,
    )


async def _rebuild_objects(
    sessions: async_sessionmaker[AsyncSession],
    *,
    segment: JournalSegment,
    bank_id: str,
) -> tuple[bytes, bytes]:
    """Rebuild the segment and manifest bytes of a recorded range from the database.

    Raise SegmentConflict when they no longer match the hashes in the row.
    """
    async with session_scope(sessions) as session:
        entries = await repository.entries_between(
            session,
            first_sequence=segment.first_sequence,
            last_sequence=segment.last_sequence,
        )
    expected_count = segment.last_sequence - segment.first_sequence + 1
    manifest_bytes = b""
    if len(entries) == expected_count:
        manifest = _manifest(
            entries,
            bank_id=bank_id,
            previous_manifest_hash=segment.previous_manifest_hash,
            sealed_at=segment.sealed_at,
        )
        manifest_bytes = manifest.encode()
    if sha256_hex(manifest_bytes) != segment.manifest_hash:
        raise SegmentConflict(
            f"entries {segment.first_sequence}..{segment.last_sequence} changed "
            "after they were prepared for sealing. Run `recon-audit verify`"
        )
    return encode_segment(list(entries)), manifest_bytes
