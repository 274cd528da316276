"""Tests for verifying the journal against sealed segments after tampering.

Each attack runs as someone who can write the database: they drop the append-only
triggers first, then change rows and the journal head.
"""

import httpx
from recon_audit.app import create_app
from recon_audit.journal.service import compute_hash, verify_chain
from recon_audit.models import JournalEntry, JournalHead, OutboxMessage, ProcessedEvent
from recon_audit.sealing.service import seal_due
from recon_audit.sealing.verify import (
    ACTION_CHAIN,
    ACTION_RESTORE,
    JournalReport,
    verify_journal,
)
from recon_audit.settings import AuditSettings
from recon_common.db import session_scope
from recon_common.db.append_only import drop_append_only_ddl
from recon_common.runtime import ServiceRuntime, attach_runtime
from recon_common.storage import ObjectStore
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.sealing.conftest import BANK_ID, SEAL_EVERY, append_entries

# Two sealed segments (1..5 and 6..10) and two unsealed entries (11 and 12).
JOURNAL_SIZE = 2 * SEAL_EVERY + 2


async def _sealed_journal(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> list[JournalEntry]:
    entries = await append_entries(sessions, JOURNAL_SIZE)
    await seal_due(sessions, store=store, settings=settings)
    return entries


async def _drop_triggers(session: AsyncSession) -> None:
    dialect = session.get_bind().dialect.name
    for statement in drop_append_only_ddl(dialect, "journal_entries"):
        await session.execute(text(statement))


async def _verify(
    sessions: async_sessionmaker[AsyncSession], store: ObjectStore | None
) -> JournalReport:
    async with session_scope(sessions) as session:
        return await verify_journal(session, store=store, bank_id=BANK_ID)


async def _remove_newest(
    sessions: async_sessionmaker[AsyncSession], *, keep: int
) -> None:
    """Delete the entries after `keep` and lower the head to match."""
    async with session_scope(sessions) as session:
        await _drop_triggers(session)
        await session.execute(delete(JournalEntry).where(JournalEntry.sequence > keep))
        kept = await session.get(JournalEntry, keep)
        head = await session.get(JournalHead, 1)
        assert kept is not None
        assert head is not None
        head.last_sequence = keep
        head.last_hash = kept.entry_hash


async def _alter_and_rehash(
    sessions: async_sessionmaker[AsyncSession], *, sequence: int, actor: str
) -> None:
    """Change one entry's actor and recompute every later hash and the head."""
    async with session_scope(sessions) as session:
        await _drop_triggers(session)
        rows = (
            await session.scalars(
                select(JournalEntry)
                .where(JournalEntry.sequence >= sequence - 1)
                .order_by(JournalEntry.sequence)
            )
        ).all()
        previous_hash = rows[0].entry_hash
        for row in rows[1:]:
            if row.sequence == sequence:
                row.actor = actor
            row.previous_hash = previous_hash
            row.entry_hash = compute_hash(row)
            previous_hash = row.entry_hash
        head = await session.get(JournalHead, 1)
        assert head is not None
        head.last_hash = previous_hash


async def test_verify_untouched_journal_valid(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    await _sealed_journal(sessions, store, settings)

    report = await _verify(sessions, store)

    assert report.valid is True
    assert report.sealed_segments == 2
    assert report.sealed_entries == 2 * SEAL_EVERY
    assert report.entries == JOURNAL_SIZE
    assert report.reason is None


async def test_verify_removed_newest_entries_detected(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    await _sealed_journal(sessions, store, settings)
    await _remove_newest(sessions, keep=8)

    async with session_scope(sessions) as session:
        chain_only = await verify_chain(session)
    report = await _verify(sessions, store)

    # The chain and the lowered head agree, so the database alone looks valid.
    assert chain_only.valid is True
    assert report.valid is False
    assert report.first_invalid_sequence == 9
    assert report.reason is not None
    assert "entry 9 was removed from the database" in report.reason
    assert report.action == ACTION_RESTORE


async def test_verify_altered_sealed_entry_detected(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    await _sealed_journal(sessions, store, settings)
    await _alter_and_rehash(sessions, sequence=3, actor="someone-else")

    async with session_scope(sessions) as session:
        chain_only = await verify_chain(session)
    report = await _verify(sessions, store)

    assert chain_only.valid is True
    assert report.valid is False
    assert report.first_invalid_sequence == 3
    assert report.reason is not None
    assert "differs from its sealed copy" in report.reason
    assert "fields: actor, entry_hash" in report.reason
    assert report.action == ACTION_RESTORE


async def test_verify_altered_unsealed_entry_detected_by_chain(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    await _sealed_journal(sessions, store, settings)
    async with session_scope(sessions) as session:
        await _drop_triggers(session)
        entry = await session.get(JournalEntry, JOURNAL_SIZE)
        assert entry is not None
        entry.actor = "someone-else"

    report = await _verify(sessions, store)

    assert report.valid is False
    assert report.first_invalid_sequence == JOURNAL_SIZE
    assert report.sealed_segments == 2
    assert report.action == ACTION_CHAIN


async def test_verify_endpoint_reports_removed_entry(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
) -> None:
    await _sealed_journal(sessions, store, settings)
    await _remove_newest(sessions, keep=4)
    app = create_app(settings)
    runtime = ServiceRuntime(
        settings=settings, outbox_model=OutboxMessage, processed_model=ProcessedEvent
    )
    attach_runtime(app, runtime)
    app.state.segment_store = store
    token = settings.service_token.get_secret_value()

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://audit"
        ) as client:
            response = await client.get(
                "/v1/journal/verify", headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        await runtime.stop()
    body = response.json()

    assert response.status_code == 200
    assert body["valid"] is False
    assert body["first_invalid_sequence"] == 5
    assert body["sealed_segments"] == 0
    assert body["action"] == ACTION_RESTORE
