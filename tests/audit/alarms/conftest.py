"""Fixtures of the alarm tests: a migrated database, the real consumer handler, and
local webhook, Slack and SMTP receivers.

Events go through the handler that the audit app registers for `audit-events`, in a
session scope as the consumer opens it, on SQLite and on PostgreSQL.
"""

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiosmtpd.smtp import SMTP
from pydantic import SecretStr
from recon_audit.alarms.delivery import AlarmDeliveryWorker
from recon_audit.alarms.notifiers import Notifier
from recon_audit.alarms.rules import AlarmConfig
from recon_audit.alarms.rules_file import load_alarm_config
from recon_audit.journal.handlers import build_audit_event_handler
from recon_audit.models import Alarm, AlarmDelivery, JournalEntry
from recon_audit.settings import AuditSettings
from recon_common.db import session_scope
from recon_common.events import (
    TOPIC_AUDIT_EVENTS,
    AuditEvent,
    AuditOutcome,
    Envelope,
)
from recon_common.settings import Environment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.alarms.receivers import (
    HttpReceiver,
    SmtpInbox,
    running_http_receiver,
)

BANK_ID = "test-bank"
# A detail value that must never leave the journal in a notification.
SECRET_ACCOUNT = "DE89370400440532013000"


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with running_http_receiver(HttpReceiver()) as receiver:
        yield receiver


@dataclass
class SmtpServer:
    inbox: SmtpInbox
    port: int


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    """Run an aiosmtpd server on 127.0.0.1 in the test's event loop."""
    inbox = SmtpInbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(inbox, hostname="alarms.test"), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield SmtpServer(inbox=inbox, port=port)
    finally:
        server.close()
        await server.wait_closed()


def audit_settings(database_url: str, **overrides: Any) -> AuditSettings:
    """Return settings for the test database with fast delivery retries."""
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "bank_id": BANK_ID,
        "database_url": SecretStr(database_url),
        "service_token": SecretStr(secrets.token_urlsafe(32)),
        "kafka_topic_prefix": f"t{uuid.uuid4().hex[:10]}-",
        "alarm_delivery_poll_interval_s": 0.05,
        "alarm_delivery_timeout_s": 5.0,
        "alarm_retry_base_s": 0.05,
        "alarm_retry_max_s": 0.2,
        "alarm_delivery_max_attempts": 4,
        **overrides,
    }
    return AuditSettings(**values)


def write_rules(tmp_path: Path, document: dict[str, Any]) -> Path:
    """Write a rules document as YAML and return its path."""
    path = tmp_path / f"alarm-rules-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def audit_envelope(
    *,
    action: str,
    actor: str = "alice",
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    resource_type: str = "session",
    resource_id: str = "reporting",
    details: dict[str, str] | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Return an `audit-events` envelope for the test bank."""
    event = AuditEvent(
        actor=actor,
        action=action,
        outcome=outcome,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details or {},
        occurred_at=occurred_at or datetime.now(UTC),
    )
    return Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="reporting", bank_id=BANK_ID, payload=event
    )


@dataclass
class AlarmHarness:
    """The handler of one rules configuration, and reads of its results."""

    sessions: async_sessionmaker[AsyncSession]
    config: AlarmConfig

    async def journal(self, envelope: Envelope) -> None:
        """Apply one event as the consumer does: handler and commit in one scope."""
        handler = build_audit_event_handler(self.config)
        async with session_scope(self.sessions) as session:
            await handler(session, envelope)

    async def alarms(self) -> list[Alarm]:
        """Return every stored alarm, oldest first."""
        async with session_scope(self.sessions) as session:
            return list((await session.scalars(select(Alarm).order_by(Alarm.id))).all())

    async def deliveries(self) -> list[AlarmDelivery]:
        """Return every delivery row, oldest first."""
        async with session_scope(self.sessions) as session:
            query = select(AlarmDelivery).order_by(AlarmDelivery.id)
            return list((await session.scalars(query)).all())

    async def journal_size(self) -> int:
        """Return how many entries the journal contains."""
        async with session_scope(self.sessions) as session:
            return len((await session.scalars(select(JournalEntry.sequence))).all())


def harness_for(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    document: dict[str, Any],
    environ: dict[str, str] | None = None,
) -> AlarmHarness:
    """Load a rules document the way the app does and return its harness."""
    config = load_alarm_config(write_rules(tmp_path, document), environ=environ or {})
    return AlarmHarness(sessions=sessions, config=config)


def start_worker(
    harness: AlarmHarness, settings: AuditSettings, http: httpx.AsyncClient
) -> AlarmDeliveryWorker:
    """Start a delivery worker for the harness's configuration."""
    worker = AlarmDeliveryWorker(
        sessions=harness.sessions,
        config=harness.config,
        settings=settings,
        notifier=Notifier(settings=settings, http=http),
    )
    worker.start()
    return worker


async def wait_for(condition: Any, *, timeout_s: float = 10.0) -> None:
    """Poll an async predicate until it returns true or the timeout passes."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.05)
