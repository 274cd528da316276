"""Fixtures of the sealing tests: a migrated journal on SQLite and PostgreSQL, and
an S3 bucket with Object Lock on a real `moto_server` over HTTP.
"""

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiobotocore.session import get_session
from pydantic import SecretStr
from recon_audit.journal import service
from recon_audit.models import JournalEntry
from recon_audit.sealing.storage import open_segment_store
from recon_audit.settings import AuditSettings, SealBackend
from recon_common.db import session_scope
from recon_common.events import TOPIC_AUDIT_EVENTS, AuditEvent, AuditOutcome, Envelope
from recon_common.settings import Environment
from recon_common.storage import ObjectStore
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.common.test_storage_s3 import REGION, kms_key_arn, moto_endpoint

__all__ = ["kms_key_arn", "moto_endpoint"]

BANK_ID = "test-bank"
# Entries per segment in these tests.
SEAL_EVERY = 5


@pytest.fixture
async def s3(moto_endpoint: str) -> AsyncIterator[Any]:
    """Return a raw S3 client on moto, to prepare buckets and inspect objects."""
    async with get_session().create_client(
        "s3", region_name=REGION, endpoint_url=moto_endpoint
    ) as client:
        yield client


async def create_bucket(s3: Any, *, object_lock: bool) -> str:
    """Create a new bucket on moto and return its name."""
    name = f"audit-test-{uuid.uuid4().hex[:12]}"
    await s3.create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=object_lock,
    )
    return name


@pytest.fixture
async def locked_bucket(s3: Any) -> str:
    return await create_bucket(s3, object_lock=True)


def sealing_settings(
    *,
    database_url: str,
    bucket: str,
    endpoint: str,
    kms_key_arn: str,
    **overrides: Any,
) -> AuditSettings:
    """Return settings that seal every `SEAL_EVERY` entries to the moto bucket."""
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "bank_id": BANK_ID,
        "database_url": SecretStr(database_url),
        "service_token": SecretStr(secrets.token_urlsafe(32)),
        "seal_backend": SealBackend.S3,
        "seal_every_entries": SEAL_EVERY,
        "seal_after_minutes": 60.0,
        "seal_retention_days": 1,
        "seal_s3_bucket": bucket,
        "seal_s3_prefix": BANK_ID,
        "seal_s3_region": REGION,
        "seal_s3_endpoint_url": endpoint,
        "seal_kms_key_arn": kms_key_arn,
    }
    values.update(overrides)
    return AuditSettings(**values)


@pytest.fixture
def settings(
    database_url: str, locked_bucket: str, moto_endpoint: str, kms_key_arn: str
) -> AuditSettings:
    return sealing_settings(
        database_url=database_url,
        bucket=locked_bucket,
        endpoint=moto_endpoint,
        kms_key_arn=kms_key_arn,
    )


@pytest.fixture
async def store(settings: AuditSettings) -> AsyncIterator[ObjectStore]:
    """Return the store that the service opens for these settings."""
    opened = await open_segment_store(settings)
    assert opened is not None
    try:
        yield opened
    finally:
        await opened.close()


async def append_entries(
    sessions: async_sessionmaker[AsyncSession], count: int
) -> list[JournalEntry]:
    """Append `count` audit events through the journal service, one per transaction."""
    entries = []
    for number in range(count):
        event = AuditEvent(
            actor=f"operator-{number}",
            action="match.manual",
            outcome=AuditOutcome.SUCCESS,
            resource_type="match_group",
            resource_id=str(uuid.uuid4()),
            details={"note": f"manual match {number}"},
            occurred_at=datetime(2026, 12, 4, 7, number, tzinfo=UTC),
        )
        envelope = Envelope.wrap(
            topic=TOPIC_AUDIT_EVENTS, source="reporting", bank_id=BANK_ID, payload=event
        )
        async with session_scope(sessions) as session:
            entries.append(await service.append(session, envelope=envelope))
    return entries
