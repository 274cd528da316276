"""Fixtures of the landed-file API tests: the ingest app on a migrated SQLite database.

The app is served without its lifespan, so neither the SFTP server nor Kafka starts.
The runtime is attached unstarted, which is enough for routes that only read the
database.
"""

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from recon_common.db import session_scope
from recon_common.migrations import upgrade_async
from recon_common.runtime import ServiceRuntime, attach_runtime
from recon_common.settings import Environment
from recon_ingest.app import create_app
from recon_ingest.models import LandedFile, OutboxMessage, ProcessedEvent
from recon_ingest.settings import IngestSettings

BANK_ID = "test-bank"


@pytest.fixture
def service_token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
async def settings(tmp_path: Path, service_token: str) -> IngestSettings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}"
    await upgrade_async("recon_ingest", url)
    return IngestSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr(url),
        service_token=SecretStr(service_token),
        kafka_topic_prefix=f"test-{uuid.uuid4().hex[:8]}-",
    )


@pytest.fixture
async def app(settings: IngestSettings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    runtime = ServiceRuntime(
        settings=settings, outbox_model=OutboxMessage, processed_model=ProcessedEvent
    )
    attach_runtime(application, runtime)
    try:
        yield application
    finally:
        await runtime.stop()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as http:
        yield http


@pytest.fixture
async def rejected_file(app: FastAPI) -> LandedFile:
    """Store one rejected landed file and return it."""
    runtime: ServiceRuntime = app.state.runtime
    row = LandedFile(
        file_id=str(uuid.uuid4()),
        bank_id=BANK_ID,
        filename="statement-2026-12-04.sta",
        uploaded_by="acme-sftp",
        sha256="0" * 64,
        size_bytes=1234,
        object_key=f"landed/{BANK_ID}/statement-2026-12-04.sta",
        status="rejected",
        transaction_count=0,
        rejection_reason="line 3: field :61: has no amount",
        landed_at=datetime(2026, 12, 4, 7, 0, tzinfo=UTC),
    )
    async with session_scope(runtime.sessions) as session:
        session.add(row)
    return row
