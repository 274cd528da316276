"""Tests for sealing journal segments into an Object Lock bucket on moto."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError
from recon_audit.models import JournalSegment
from recon_audit.sealing.segments import (
    Manifest,
    decode_segment,
    segment_key,
    sha256_hex,
)
from recon_audit.sealing.service import prepare_segment, seal_due, store_segment
from recon_audit.sealing.storage import SegmentConflict, segment_retention
from recon_audit.sealing.worker import JournalSealer
from recon_audit.settings import AuditSettings
from recon_common.db import session_scope
from recon_common.storage import ObjectStore
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.sealing.conftest import BANK_ID, SEAL_EVERY, append_entries


class SimulatedCrash(Exception):
    """Raised in place of the transaction that records a stored segment."""


class CrashBeforeRecord:
    """A session factory that fails on its second session: the recording step."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.calls = 0

    def __call__(self) -> AsyncSession:
        self.calls += 1
        if self.calls == 2:
            raise SimulatedCrash("the service stopped before recording the segment")
        return self._sessions()


async def _segments(sessions: async_sessionmaker[AsyncSession]) -> list[JournalSegment]:
    async with session_scope(sessions) as session:
        rows = await session.scalars(
            select(JournalSegment).order_by(JournalSegment.first_sequence)
        )
        return list(rows.all())


async def _versions(s3: Any, bucket: str) -> dict[str, int]:
    answer = await s3.list_object_versions(Bucket=bucket)
    counts: dict[str, int] = {}
    for version in answer.get("Versions", []):
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


async def test_seal_due_below_threshold_writes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
    s3: Any,
) -> None:
    await append_entries(sessions, SEAL_EVERY - 1)

    results = await seal_due(sessions, store=store, settings=settings)

    assert results == []
    assert await _segments(sessions) == []
    assert await _versions(s3, settings.seal_s3_bucket) == {}


async def test_seal_due_at_threshold_writes_segment(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    entries = await append_entries(sessions, SEAL_EVERY)

    results = await seal_due(sessions, store=store, settings=settings)
    rows = await _segments(sessions)
    records = decode_segment(await store.get(rows[0].segment_key))

    assert [(r.first_sequence, r.last_sequence) for r in results] == [(1, 5)]
    assert len(rows) == 1
    assert rows[0].stored_at is not None
    assert rows[0].segment_key == segment_key(
        bank_id=BANK_ID, first_sequence=1, last_sequence=5
    )
    assert [record["sequence"] for record in records] == [1, 2, 3, 4, 5]
    assert [record["entry_hash"] for record in records] == [
        entry.entry_hash for entry in entries
    ]
    assert records[2]["actor"] == "operator-2"
    assert json.loads(records[2]["details"]) == {"note": "manual match 2"}


async def test_seal_due_writes_compliance_retention(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
    s3: Any,
) -> None:
    await append_entries(sessions, SEAL_EVERY)

    await seal_due(sessions, store=store, settings=settings)
    row = (await _segments(sessions))[0]
    answer = await s3.head_object(
        Bucket=settings.seal_s3_bucket, Key=f"{BANK_ID}/{row.manifest_key}"
    )

    assert answer["ObjectLockMode"] == "COMPLIANCE"
    assert answer["ObjectLockRetainUntilDate"] > datetime.now(UTC)
    assert answer["ServerSideEncryption"] == "aws:kms"


async def test_manifests_chain_segments(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    entries = await append_entries(sessions, 2 * SEAL_EVERY + 2)

    results = await seal_due(sessions, store=store, settings=settings)
    rows = await _segments(sessions)
    first_bytes = await store.get(rows[0].manifest_key)
    second_bytes = await store.get(rows[1].manifest_key)
    first = Manifest.decode(first_bytes)
    second = Manifest.decode(second_bytes)
    second_segment = await store.get(second.segment_key)

    assert [(r.first_sequence, r.last_sequence) for r in results] == [(1, 5), (6, 10)]
    assert first.previous_manifest_hash == "0" * 64
    assert second.previous_manifest_hash == sha256_hex(first_bytes)
    assert first.last_entry_hash == entries[4].entry_hash
    assert second.last_entry_hash == entries[9].entry_hash
    assert second.segment_sha256 == sha256_hex(second_segment)
    assert rows[1].manifest_hash == sha256_hex(second_bytes)
    assert json.loads(second_bytes)["entry_count"] == SEAL_EVERY


async def test_seal_due_after_age_seals_partial_segment(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    await append_entries(sessions, 2)
    later = datetime.now(UTC) + timedelta(minutes=settings.seal_after_minutes + 1)

    early = await seal_due(sessions, store=store, settings=settings)
    late = await seal_due(sessions, store=store, settings=settings, now=later)

    assert early == []
    assert [(r.first_sequence, r.last_sequence) for r in late] == [(1, 2)]


async def test_reseal_after_crash_gives_same_object(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
    s3: Any,
) -> None:
    await append_entries(sessions, SEAL_EVERY)
    segment = await prepare_segment(sessions, settings=settings)
    assert segment is not None
    crashing = CrashBeforeRecord(sessions)
    with pytest.raises(SimulatedCrash):
        await store_segment(
            cast(async_sessionmaker[AsyncSession], crashing),
            store=store,
            settings=settings,
            segment=segment,
        )
    stored_before = await store.get(segment.segment_key)
    manifest_before = await store.get(segment.manifest_key)
    rows_after_crash = await _segments(sessions)
    # More entries arrive before the restart: the interrupted range must not grow.
    await append_entries(sessions, 2)

    results = await seal_due(sessions, store=store, settings=settings)
    rows = await _segments(sessions)

    assert rows_after_crash[0].stored_at is None
    assert [(r.first_sequence, r.last_sequence, r.written) for r in results] == [
        (1, 5, False)
    ]
    assert len(rows) == 1
    assert rows[0].stored_at is not None
    assert await store.get(segment.segment_key) == stored_before
    assert await store.get(segment.manifest_key) == manifest_before
    assert set((await _versions(s3, settings.seal_s3_bucket)).values()) == {1}
    assert len(await _versions(s3, settings.seal_s3_bucket)) == 2


async def test_reseal_conflicting_object_rejected(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    await append_entries(sessions, SEAL_EVERY)
    segment = await prepare_segment(sessions, settings=settings)
    assert segment is not None
    await store.put(
        segment.segment_key, b"other content\n", retention=segment_retention(settings)
    )

    with pytest.raises(SegmentConflict, match="different segment"):
        await store_segment(sessions, store=store, settings=settings, segment=segment)
    rows = await _segments(sessions)

    assert rows[0].stored_at is None


async def test_locked_segment_version_delete_rejected_by_moto(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
    s3: Any,
) -> None:
    # moto 5.2.5 rejects a versioned delete under COMPLIANCE retention.
    await append_entries(sessions, SEAL_EVERY)
    await seal_due(sessions, store=store, settings=settings)
    row = (await _segments(sessions))[0]
    key = f"{BANK_ID}/{row.segment_key}"
    version = (await s3.head_object(Bucket=settings.seal_s3_bucket, Key=key))[
        "VersionId"
    ]

    with pytest.raises(ClientError) as raised:
        await s3.delete_object(
            Bucket=settings.seal_s3_bucket,
            Key=key,
            VersionId=version,
            BypassGovernanceRetention=True,
        )
    versions = await _versions(s3, settings.seal_s3_bucket)

    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert versions[key] == 1


async def test_sealer_loop_seals_in_background(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    fast = settings.model_copy(update={"seal_poll_interval_s": 0.1})
    sealer = JournalSealer(sessions=sessions, store=store, settings=fast)
    await append_entries(sessions, SEAL_EVERY)

    sealer.start()
    try:
        # Polls for at most 10 s.
        for _ in range(200):
            if sealer.sealed:
                break
            await asyncio.sleep(0.05)
        running = sealer.running
    finally:
        await sealer.stop()
    rows = await _segments(sessions)

    assert running is True
    assert sealer.sealed == 1
    assert rows[0].stored_at is not None
