"""Tests for the start-up checks of sealing (Object Lock on S3) and the local store."""

import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from recon_audit.app import create_app
from recon_audit.sealing.segments import segment_key
from recon_audit.sealing.service import seal_due
from recon_audit.sealing.storage import SealingConfigError, open_segment_store
from recon_audit.sealing.verify import ACTION_STORAGE, verify_journal
from recon_audit.settings import AuditSettings, SealBackend
from recon_common.db import session_scope
from recon_common.storage import RetentionViolation
from recon_common.storage.local import LocalObjectStore
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.sealing.conftest import (
    BANK_ID,
    SEAL_EVERY,
    append_entries,
    create_bucket,
    sealing_settings,
)
from tests.common.test_storage_local import WrappingKeyProvider


async def test_open_store_bucket_without_lock_rejected(
    s3: Any, moto_endpoint: str, kms_key_arn: str, tmp_path: Path
) -> None:
    bucket = await create_bucket(s3, object_lock=False)
    settings = sealing_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}",
        bucket=bucket,
        endpoint=moto_endpoint,
        kms_key_arn=kms_key_arn,
    )

    with pytest.raises(SealingConfigError, match="has no Object Lock"):
        await open_segment_store(settings)


async def test_open_store_missing_bucket_rejected(
    moto_endpoint: str, kms_key_arn: str, tmp_path: Path
) -> None:
    settings = sealing_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}",
        bucket=f"absent-{uuid.uuid4().hex[:12]}",
        endpoint=moto_endpoint,
        kms_key_arn=kms_key_arn,
    )

    with pytest.raises(SealingConfigError, match="not found"):
        await open_segment_store(settings)


async def test_open_store_s3_without_bucket_rejected(tmp_path: Path) -> None:
    settings = AuditSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}",
        seal_backend=SealBackend.S3,
    )

    with pytest.raises(SealingConfigError, match="AUDIT_SEAL_S3_BUCKET"):
        await open_segment_store(settings)


async def test_service_start_without_lock_rejected(
    s3: Any, moto_endpoint: str, kms_key_arn: str, tmp_path: Path
) -> None:
    bucket = await create_bucket(s3, object_lock=False)
    settings = sealing_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}",
        bucket=bucket,
        endpoint=moto_endpoint,
        kms_key_arn=kms_key_arn,
    )
    app = create_app(settings)

    with pytest.raises(SealingConfigError, match="has no Object Lock"):
        async with app.router.lifespan_context(app):
            pass


async def test_open_store_sealing_off_returns_none(tmp_path: Path) -> None:
    settings = AuditSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}",
        seal_backend=SealBackend.NONE,
    )

    store = await open_segment_store(settings)

    assert store is None


async def test_local_store_segment_files_read_only(
    sessions: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
) -> None:
    settings = AuditSettings(
        database_url=database_url,
        bank_id=BANK_ID,
        seal_backend=SealBackend.LOCAL,
        seal_every_entries=SEAL_EVERY,
    )
    store = LocalObjectStore(
        root=tmp_path / "segments", bank_id=BANK_ID, keys=WrappingKeyProvider()
    )
    await append_entries(sessions, SEAL_EVERY)

    results = await seal_due(sessions, store=store, settings=settings)
    files = sorted((tmp_path / "segments").rglob("*.obj"))
    modes = {stat.S_IMODE(path.stat().st_mode) for path in files}

    assert [(r.first_sequence, r.last_sequence) for r in results] == [(1, 5)]
    assert len(files) == 2
    assert modes == {0o440}
    with pytest.raises(RetentionViolation):
        await store.delete(
            segment_key(bank_id=BANK_ID, first_sequence=1, last_sequence=5)
        )


async def test_verify_damaged_local_segment_detected(
    sessions: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
) -> None:
    settings = AuditSettings(
        database_url=database_url,
        bank_id=BANK_ID,
        seal_backend=SealBackend.LOCAL,
        seal_every_entries=SEAL_EVERY,
    )
    store = LocalObjectStore(
        root=tmp_path / "segments", bank_id=BANK_ID, keys=WrappingKeyProvider()
    )
    await append_entries(sessions, SEAL_EVERY)
    await seal_due(sessions, store=store, settings=settings)
    # Someone with write access to the folder changes the last ciphertext byte.
    damaged = next((tmp_path / "segments").rglob("*.jsonl.obj"))
    damaged.chmod(0o640)
    content = bytearray(damaged.read_bytes())
    content[-1] ^= 0x01
    damaged.write_bytes(bytes(content))

    async with session_scope(sessions) as session:
        report = await verify_journal(session, store=store, bank_id=BANK_ID)

    assert report.valid is False
    assert report.first_invalid_sequence == 1
    assert report.action == ACTION_STORAGE
