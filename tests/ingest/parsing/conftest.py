"""Fixtures of the parsing tests: the `file-landed` handler on a migrated database.

The database is SQLite or PostgreSQL, migrated by Alembic. Landed files sit in a
`LocalObjectStore` whose data keys come from the wrapping key provider of the
storage tests, because the key broker has its own tests over HTTP.
"""

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from recon_common.db import create_engine, create_sessionmaker, session_scope
from recon_common.events import (
    TOPIC_FILE_LANDED,
    TOPIC_TRANSACTIONS_PARSED,
    Envelope,
    FileLanded,
    FileStatus,
)
from recon_common.migrations import upgrade_async
from recon_common.settings import Environment
from recon_common.storage.local import LocalObjectStore
from recon_ingest.landing.service import file_ref
from recon_ingest.models import LandedFile, OutboxMessage
from recon_ingest.parsers import CsvProfile
from recon_ingest.parsing.handlers import make_file_landed_handler
from recon_ingest.parsing.profiles import load_csv_profiles
from recon_ingest.settings import IngestSettings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_platform.infra.postgres import create_database, drop_database
from tests.common.test_storage_local import WrappingKeyProvider

BANK_ID = "test-bank"
_FIRST_LANDING = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """Yield the URL of an empty database migrated to head."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}"
        await upgrade_async("recon_ingest", url)
        yield url
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(admin_url, name)
    try:
        await upgrade_async("recon_ingest", url)
        yield url
    finally:
        await drop_database(admin_url, name)


@pytest.fixture
async def sessions(
    database_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(
        root=tmp_path / "objects", bank_id=BANK_ID, keys=WrappingKeyProvider()
    )


@dataclass
class Ingest:
    """Lands files and runs the `file-landed` handler on them, one scope per call."""

    sessions: async_sessionmaker[AsyncSession]
    store: LocalObjectStore
    landed: int = 0
    # The profiles that the handler reads CSV and .xlsx files with, by name.
    csv_profiles: dict[str, CsvProfile] = field(
        default_factory=lambda: load_csv_profiles(None)
    )

    async def land_and_parse(
        self, filename: str, data: bytes, **settings: Any
    ) -> LandedFile:
        """Land `data` as a new file, parse it with `settings` and return its row."""
        row = await self.land(filename, data)
        return await self.parse(row, **settings)

    async def parse(self, row: LandedFile, **settings: Any) -> LandedFile:
        """Run the `file-landed` handler on a landed file and return its new row."""
        handler = make_file_landed_handler(
            settings=make_settings(**settings),
            store=self.store,
            csv_profiles=self.csv_profiles,
        )
        envelope = Envelope.wrap(
            topic=TOPIC_FILE_LANDED,
            source="ingest",
            bank_id=BANK_ID,
            payload=FileLanded(
                file=file_ref(row), object_key=row.object_key, uploaded_by="bank"
            ),
        )
        async with session_scope(self.sessions) as session:
            await handler(session, envelope)
        return await self.file(row.file_id)

    async def land(self, filename: str, data: bytes) -> LandedFile:
        """Store `data` and record it as landed, a minute after the previous file."""
        file_id = str(uuid.uuid4())
        object_key = f"landed/{file_id}/{filename}"
        await self.store.put(object_key, data)
        row = LandedFile(
            file_id=file_id,
            bank_id=BANK_ID,
            filename=filename,
            uploaded_by="bank",
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            object_key=object_key,
            status=FileStatus.LANDED.value,
            landed_at=_FIRST_LANDING + timedelta(minutes=self.landed),
            transaction_count=0,
        )
        self.landed += 1
        async with session_scope(self.sessions) as session:
            session.add(row)
        return row

    async def file(self, file_id: str) -> LandedFile:
        async with session_scope(self.sessions) as session:
            row = await session.get(LandedFile, file_id)
        assert row is not None
        return row

    async def published(self, file_id: str) -> list[dict[str, Any]]:
        """Return the `transactions-parsed` payloads of a file, in chunk order."""
        async with session_scope(self.sessions) as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.message_key == file_id,
                    OutboxMessage.topic == TOPIC_TRANSACTIONS_PARSED,
                )
                .order_by(OutboxMessage.position)
            )
            return [json.loads(row.body)["data"] for row in rows]


def make_settings(**values: Any) -> IngestSettings:
    return IngestSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr("sqlite+aiosqlite://"),
        **values,
    )


@pytest.fixture
def ingest(
    sessions: async_sessionmaker[AsyncSession], store: LocalObjectStore
) -> Ingest:
    return Ingest(sessions=sessions, store=store)
