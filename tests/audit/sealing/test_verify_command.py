"""Tests for `recon-audit verify` on a journal sealed to the moto bucket."""

import asyncio
import json

import pytest
from recon_audit.main import main
from recon_audit.sealing.service import seal_due
from recon_audit.settings import AuditSettings
from recon_common.db import session_scope
from recon_common.db.append_only import drop_append_only_ddl
from recon_common.storage import ObjectStore
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.sealing.conftest import SEAL_EVERY, append_entries


@pytest.fixture
async def sealed_settings(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    settings: AuditSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> AuditSettings:
    """Seal one segment and point the `AUDIT_*` environment at it."""
    await append_entries(sessions, SEAL_EVERY + 1)
    await seal_due(sessions, store=store, settings=settings)
    for name, value in {
        "AUDIT_ENVIRONMENT": "test",
        "AUDIT_BANK_ID": settings.bank_id,
        "AUDIT_DATABASE_URL": settings.database_url.get_secret_value(),
        "AUDIT_SEAL_BACKEND": "s3",
        "AUDIT_SEAL_S3_BUCKET": settings.seal_s3_bucket,
        "AUDIT_SEAL_S3_PREFIX": settings.seal_s3_prefix,
        "AUDIT_SEAL_S3_REGION": settings.seal_s3_region,
        "AUDIT_SEAL_S3_ENDPOINT_URL": str(settings.seal_s3_endpoint_url),
        "AUDIT_SEAL_KMS_KEY_ARN": settings.seal_kms_key_arn,
    }.items():
        monkeypatch.setenv(name, value)
    return settings


async def _remove_entries_after(
    sessions: async_sessionmaker[AsyncSession], *, keep: int
) -> None:
    async with session_scope(sessions) as session:
        dialect = session.get_bind().dialect.name
        for statement in drop_append_only_ddl(dialect, "journal_entries"):
            await session.execute(text(statement))
        await session.execute(
            text("DELETE FROM journal_entries WHERE sequence > :keep"), {"keep": keep}
        )
        await session.execute(
            text(
                "UPDATE journal_head SET last_sequence = :keep, last_hash = "
                "(SELECT entry_hash FROM journal_entries WHERE sequence = :keep)"
            ),
            {"keep": keep},
        )


async def test_verify_command_valid_journal(
    sealed_settings: AuditSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    status = await _run_main(["verify"])
    report = json.loads(capsys.readouterr().out)

    assert status == 0
    assert report["valid"] is True
    assert report["sealed_entries"] == SEAL_EVERY
    assert report["entries"] == SEAL_EVERY + 1


async def test_verify_command_removed_entry_fails(
    sessions: async_sessionmaker[AsyncSession],
    sealed_settings: AuditSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _remove_entries_after(sessions, keep=3)

    status = await _run_main(["verify"])
    output = capsys.readouterr()
    report = json.loads(output.out)

    assert status == 1
    assert report["first_invalid_sequence"] == 4
    assert "verification failed at entry 4" in output.err
    assert "restore the entries from the segment" in output.err


async def _run_main(argv: list[str]) -> int:
    # `main` runs its own event loop, so it runs in a thread beside the test's loop.
    return await asyncio.to_thread(main, argv)
