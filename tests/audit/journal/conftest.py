"""Fixtures of the journal API tests: the audit app on a migrated SQLite database.

The app is served without its lifespan, so Kafka does not start. The runtime is
attached unstarted, which is enough for routes that only read the database.
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
from recon_audit.app import create_app
from recon_audit.journal import service
from recon_audit.models import JournalEntry, OutboxMessage, ProcessedEvent
from recon_audit.settings import AuditSettings
from recon_common.db import session_scope
from recon_common.events import (
    TOPIC_AUDIT_EVENTS,
    AuditEvent,
    AuditOutcome,
    Envelope,
)
from recon_common.migrations import upgrade_async
from recon_common.runtime import ServiceRuntime, attach_runtime
from recon_common.settings import Environment

BANK_ID = "test-bank"


@pytest.fixture
def service_token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
async def settings(tmp_path: Path, service_token: str) -> AuditSettings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await upgrade_async("recon_audit", url)
    return AuditSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr(url),
        service_token=SecretStr(service_token),
        kafka_topic_prefix=f"test-{uuid.uuid4().hex[:8]}-",
    )


@pytest.fixture
async def app(settings: AuditSettings) -> AsyncIterator[FastAPI]:
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
    async with httpx.AsyncClient(transport=transport, base_url="http://audit") as http:
        yield http


@pytest.fixture
async def journal_entry(app: FastAPI) -> JournalEntry:
    """Append one `file.rejected` event to the journal and return its entry."""
    event = AuditEvent(
        actor="ingest",
        action="file.rejected",
        outcome=AuditOutcome.FAILURE,
        resource_type="file",
        resource_id=str(uuid.uuid4()),
        details={"reason": "line 3: field :61: has no amount"},
        occurred_at=datetime(2026, 12, 4, 7, 0, tzinfo=UTC),
    )
    envelope = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=event
    )
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        return await service.append(session, envelope=envelope)
