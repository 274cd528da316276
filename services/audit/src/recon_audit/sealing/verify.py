"""Verifying the journal against its sealed segments and its own hash chain.

The segments are found in storage by following the manifests from sequence 1 (see
`segments`), not by reading `journal_segments`, so someone who can write the
database cannot hide a segment by deleting its row. Each sealed entry is checked
against its segment's chain and then compared with the database row. Entries after
the last segment are checked by the hash chain only. Entries that an attacker
removed before they were sealed cannot be detected.
"""

from dataclasses import dataclass, field

from recon_common.errors import InvalidRequest
from recon_common.storage import ObjectIntegrityError, ObjectNotFound, ObjectStore
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.journal.repository import GENESIS_HASH
from recon_audit.journal.service import compute_hash, verify_chain
from recon_audit.sealing import repository
from recon_audit.sealing.segments import (
    Manifest,
    SegmentFormatError,
    decode_segment,
    entry_from_record,
    entry_record,
    first_manifest_hash,
    manifest_key,
    sha256_hex,
)

ACTION_RESTORE = (
    "The sealed copy is authoritative: find who changed the database (database "
    "logs, grants on journal_entries) and restore the entries from the segment."
)
ACTION_STORAGE = (
    "The sealed storage was changed or is incomplete: check the bucket's Object "
    "Lock, its versions and access logs before sealing resumes."
)
ACTION_CHAIN = (
    "Entries after the last sealed segment were changed or removed: compare the "
    "journal with a database backup and with the audit-events topic."
)


@dataclass(frozen=True)
class JournalReport:
    valid: bool
    # Entries checked: sealed entries compared with the database plus entries after
    # the last segment checked by the hash chain.
    entries: int
    sealed_segments: int
    sealed_entries: int
    first_invalid_sequence: int | None
    reason: str | None
    action: str | None


@dataclass(frozen=True)
class _Problem:
    sequence: int
    reason: str
    action: str


@dataclass
class _Walk:
    next_sequence: int = 1
    previous_manifest_hash: str = GENESIS_HASH
    previous_entry_hash: str = GENESIS_HASH
    segments: int = 0
    # Manifest hash by first sequence, to compare with `journal_segments`.
    manifest_hashes: dict[int, str] = field(default_factory=dict)


async def verify_journal(
    session: AsyncSession, *, store: ObjectStore | None, bank_id: str
) -> JournalReport:
    """Compare the journal with its sealed segments, then check the newer entries.

    With `store` None (sealing off), only the hash chain is checked.
    """
    walk = _Walk(previous_manifest_hash=first_manifest_hash())
    if store is not None:
        problem = await _walk_segments(session, store=store, bank_id=bank_id, walk=walk)
        if problem is None:
            problem = await _compare_recorded_segments(session, walk=walk)
        if problem is not None:
            return _invalid(walk, problem, checked=problem.sequence - 1)
    sealed_entries = walk.next_sequence - 1
    chain = await verify_chain(
        session,
        after_sequence=sealed_entries,
        previous_hash=walk.previous_entry_hash,
    )
    if not chain.valid:
        return JournalReport(
            valid=False,
            entries=sealed_entries + chain.entries,
            sealed_segments=walk.segments,
            sealed_entries=sealed_entries,
            first_invalid_sequence=chain.first_invalid_sequence,
            reason=chain.reason,
            action=ACTION_CHAIN,
        )
    return JournalReport(
        valid=True,
        entries=sealed_entries + chain.entries,
        sealed_segments=walk.segments,
        sealed_entries=sealed_entries,
        first_invalid_sequence=None,
        reason=None,
        action=None,
    )


def _invalid(walk: _Walk, problem: _Problem, *, checked: int) -> JournalReport:
    return JournalReport(
        valid=False,
        entries=checked,
        sealed_segments=walk.segments,
        sealed_entries=walk.next_sequence - 1,
        first_invalid_sequence=problem.sequence,
        reason=problem.reason,
        action=problem.action,
    )


async def _walk_segments(
    session: AsyncSession, *, store: ObjectStore, bank_id: str, walk: _Walk
) -> _Problem | None:
    while True:
        key = manifest_key(bank_id=bank_id, first_sequence=walk.next_sequence)
        try:
            manifest_bytes = await store.get(key)
        except ObjectNotFound:
            return None
        # The local store raises InvalidRequest for a damaged or moved file header.
        except (ObjectIntegrityError, InvalidRequest) as exc:
            return _Problem(walk.next_sequence, str(exc), ACTION_STORAGE)
        problem = await _check_segment(
            session, store=store, bank_id=bank_id, walk=walk, data=manifest_bytes
        )
        if problem is not None:
            return problem


async def _check_segment(
    session: AsyncSession,
    *,
    store: ObjectStore,
    bank_id: str,
    walk: _Walk,
    data: bytes,
) -> _Problem | None:
    first = walk.next_sequence
    try:
        manifest = Manifest.decode(data)
    except SegmentFormatError as exc:
        return _Problem(
            first, f"manifest of segment {first} is invalid: {exc}", ACTION_STORAGE
        )
    problem = _check_manifest(manifest, bank_id=bank_id, walk=walk)
    if problem is not None:
        return problem

    try:
        segment = await store.get(manifest.segment_key)
    except ObjectNotFound:
        return _Problem(
            first,
            f"segment {manifest.segment_key!r} not found in storage",
            ACTION_STORAGE,
        )
    except (ObjectIntegrityError, InvalidRequest) as exc:
        return _Problem(first, str(exc), ACTION_STORAGE)
    if sha256_hex(segment) != manifest.segment_sha256:
        return _Problem(
            first,
            f"segment {manifest.segment_key!r} does not match the SHA-256 in its "
            "manifest",
            ACTION_STORAGE,
        )
    problem = await _compare_entries(
        session, manifest=manifest, segment=segment, walk=walk
    )
    if problem is not None:
        return problem

    walk.manifest_hashes[first] = sha256_hex(data)
    walk.previous_manifest_hash = sha256_hex(data)
    walk.previous_entry_hash = manifest.last_entry_hash
    walk.next_sequence = manifest.last_sequence + 1
    walk.segments += 1
    return None


def _check_manifest(
    manifest: Manifest, *, bank_id: str, walk: _Walk
) -> _Problem | None:
    first = walk.next_sequence
    if manifest.bank_id != bank_id:
        reason = f"manifest of segment {first} belongs to bank {manifest.bank_id!r}"
    elif manifest.first_sequence != first or manifest.last_sequence < first:
        reason = (
            f"manifest stored for segment {first} names entries "
            f"{manifest.first_sequence}..{manifest.last_sequence}"
        )
    elif manifest.previous_manifest_hash != walk.previous_manifest_hash:
        reason = (
            f"manifest of segment {first} does not chain to the manifest of the "
            "previous segment"
        )
    else:
        return None
    return _Problem(first, reason, ACTION_STORAGE)


async def _compare_entries(
    session: AsyncSession, *, manifest: Manifest, segment: bytes, walk: _Walk
) -> _Problem | None:
    first, last = manifest.first_sequence, manifest.last_sequence
    try:
        records = decode_segment(segment)
        sealed = [entry_from_record(record) for record in records]
    except SegmentFormatError as exc:
        return _Problem(
            first, f"segment {manifest.segment_key!r}: {exc}", ACTION_STORAGE
        )
    if len(sealed) != last - first + 1:
        return _Problem(
            first,
            f"segment {manifest.segment_key!r} contains {len(sealed)} entries but "
            f"its manifest names {last - first + 1}",
            ACTION_STORAGE,
        )
    rows = await repository.entries_between(
        session, first_sequence=first, last_sequence=last
    )
    by_sequence = {row.sequence: row for row in rows}
    previous_hash = walk.previous_entry_hash
    for offset, (record, entry) in enumerate(zip(records, sealed, strict=True)):
        sequence = first + offset
        if (
            entry.sequence != sequence
            or entry.previous_hash != previous_hash
            or compute_hash(entry) != entry.entry_hash
        ):
            return _Problem(
                sequence,
                f"sealed entry {sequence} in {manifest.segment_key!r} fails its hash "
                "chain",
                ACTION_STORAGE,
            )
        previous_hash = entry.entry_hash
        row = by_sequence.get(sequence)
        if row is None:
            return _Problem(
                sequence,
                f"entry {sequence} was removed from the database, and its sealed copy "
                f"is in {manifest.segment_key!r}",
                ACTION_RESTORE,
            )
        changed = sorted(
            name
            for name, value in entry_record(row).items()
            if record.get(name) != value
        )
        if changed:
            return _Problem(
                sequence,
                f"entry {sequence} in the database differs from its sealed copy in "
                f"{manifest.segment_key!r} (fields: {', '.join(changed)})",
                ACTION_RESTORE,
            )
    if previous_hash != manifest.last_entry_hash:
        return _Problem(
            last,
            f"last entry of {manifest.segment_key!r} does not match the hash in its "
            "manifest",
            ACTION_STORAGE,
        )
    return None


async def _compare_recorded_segments(
    session: AsyncSession, *, walk: _Walk
) -> _Problem | None:
    for row in await repository.list_segments(session):
        if row.stored_at is None:
            continue
        stored_hash = walk.manifest_hashes.get(row.first_sequence)
        if stored_hash is None:
            return _Problem(
                row.first_sequence,
                f"segment {row.first_sequence}..{row.last_sequence} is recorded as "
                f"stored, but its manifest {row.manifest_key!r} was not found by "
                "following the manifests from sequence 1",
                ACTION_STORAGE,
            )
        if stored_hash != row.manifest_hash:
            return _Problem(
                row.first_sequence,
                f"manifest of segment {row.first_sequence}..{row.last_sequence} in "
                "storage differs from the hash recorded in the database",
                ACTION_STORAGE,
            )
    return None
