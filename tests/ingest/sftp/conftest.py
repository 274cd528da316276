"""Fixtures of the SFTP tests: the whole ingest app, a key broker and an SFTP client.

The ingest app runs its real lifespan: the SFTP server on a free loopback port, the
`file-landed` parser on the session's Kafka broker, and a migrated SQLite database.
Its local object store gets data keys over HTTP from the key broker app, which
uvicorn serves on 127.0.0.1. Files go in through asyncssh's SFTP client.
"""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from pydantic import SecretStr
from recon_common.db import create_engine, create_sessionmaker, session_scope
from recon_common.events import TOPIC_AUDIT_EVENTS
from recon_common.migrations import upgrade_async
from recon_common.settings import Environment
from recon_ingest.app import create_app
from recon_ingest.models import LandedFile, OutboxMessage
from recon_ingest.settings import IngestSettings
from recon_keyvault.app import create_app as create_keyvault_app
from recon_keyvault.settings import DEVELOPMENT_SERVICE_TOKEN
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.keyvault.conftest import BANK_ID, auth_headers, make_settings, migrate

STATEMENT_USER = "correspondent"


@pytest.fixture
async def keyvault_url(tmp_path: Path) -> AsyncIterator[str]:
    """Serve the key broker on 127.0.0.1 and return its base URL."""
    folder = tmp_path / "keyvault"
    folder.mkdir()
    settings = make_settings(folder)
    await migrate(settings)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_keyvault_app(settings, start_kafka=False),
        log_config=None,
        access_log=False,
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    async with asyncio.timeout(10):
        # uvicorn exposes start-up only as the `started` flag, not as an event.
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


@dataclass
class SftpIngest:
    """A running ingest app and the helpers that drive it over SFTP."""

    settings: IngestSettings
    port: int
    client_key: asyncssh.SSHKey
    known_hosts: asyncssh.SSHKnownHosts
    keyvault_url: str
    engine: AsyncEngine
    app: FastAPI

    def write_users(self, users: list[dict[str, Any]]) -> None:
        """Replace the users file; every user gets the test's client key."""
        public_key = self.client_key.export_public_key().decode().strip()
        entries = [{"public_keys": [public_key], **user} for user in users]
        self.settings.sftp_users_file.write_text(
            yaml.safe_dump({"users": entries}, sort_keys=False)
        )

    async def upload(self, username: str, filename: str, data: bytes) -> None:
        """Upload `data` as `filename`; raise the SFTP error of a failed close."""
        async with asyncssh.connect(
            "127.0.0.1",
            self.port,
            username=username,
            client_keys=[self.client_key],
            known_hosts=self.known_hosts,
        ) as connection:
            async with connection.start_sftp_client() as sftp:
                remote = await sftp.open(filename, "wb")
                try:
                    await remote.write(data)
                finally:
                    await remote.close()

    async def files(self) -> list[LandedFile]:
        """Return the landed files, oldest first."""
        async with session_scope(create_sessionmaker(self.engine)) as session:
            rows = await session.scalars(
                select(LandedFile).order_by(LandedFile.landed_at)
            )
            return list(rows.all())

    async def file_named(self, filename: str) -> LandedFile:
        """Return the one landed file called `filename`."""
        matches = [row for row in await self.files() if row.filename == filename]
        assert len(matches) == 1, f"{len(matches)} files named {filename}"
        return matches[0]

    async def parsed_or_rejected(self, filename: str) -> LandedFile:
        """Wait until the parser has finished `filename`, and return its row."""
        async with asyncio.timeout(60):
            while True:
                row = await self.file_named(filename)
                if row.status != "landed":
                    return row
                await asyncio.sleep(0.2)

    async def audit_actions(self) -> list[str]:
        """Return the `action` of each audit event in the outbox, oldest first."""
        async with session_scope(create_sessionmaker(self.engine)) as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic == TOPIC_AUDIT_EVENTS)
                .order_by(OutboxMessage.position)
            )
            bodies = [row.body for row in rows.all()]
        return [json.loads(body)["data"]["action"] for body in bodies]

    async def set_key_state(self, state: str) -> str:
        """Create the bank's key if needed, then `enable` or `disable` it."""
        async with httpx.AsyncClient(
            base_url=self.keyvault_url, headers=auth_headers("ingest")
        ) as client:
            keys = (await client.get(f"/v1/banks/{BANK_ID}/keys")).json()["keys"]
            if keys:
                key_id: str = keys[0]["key_id"]
            else:
                created = await client.post(
                    f"/v1/banks/{BANK_ID}/keys", json={"alias": "primary"}
                )
                assert created.status_code == 200, created.text
                key_id = created.json()["key_id"]
            response = await client.post(f"/v1/banks/{BANK_ID}/keys/{key_id}/{state}")
        assert response.status_code == 200, response.text
        return key_id


@pytest.fixture
async def sftp_ingest(
    tmp_path: Path, keyvault_url: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[SftpIngest]:
    """Run the ingest app with one SFTP user and yield its helpers."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}"
    await upgrade_async("recon_ingest", database_url)
    settings = IngestSettings(
        environment=Environment.TEST,
        bank_id=BANK_ID,
        database_url=SecretStr(database_url),
        service_token=SecretStr(DEVELOPMENT_SERVICE_TOKEN),
        keyvault_url=keyvault_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=topic_prefix,
        sftp_port=0,
        sftp_root=tmp_path / "sftp",
        sftp_users_file=tmp_path / "sftp-users.yaml",
        sftp_host_key=tmp_path / "sftp-host-key",
        storage_path=tmp_path / "objects",
        csv_profiles_file=tmp_path / "csv-profiles.yaml",
    )
    settings.csv_profiles_file.write_text(yaml.safe_dump(CSV_PROFILES))  # type: ignore[union-attr]
    engine = create_engine(database_url)
    ingest = SftpIngest(
        settings=settings,
        port=0,
        client_key=asyncssh.generate_private_key("ssh-ed25519"),
        known_hosts=asyncssh.SSHKnownHosts(),
        keyvault_url=keyvault_url,
        engine=engine,
        app=create_app(settings),
    )
    ingest.write_users([{"username": STATEMENT_USER}])
    app = ingest.app
    try:
        async with app.router.lifespan_context(app):
            ingest.port = app.state.sftp_port
            host_key = asyncssh.read_private_key(settings.sftp_host_key)
            ingest.known_hosts = asyncssh.import_known_hosts(
                f"[127.0.0.1]:{ingest.port} "
                f"{host_key.export_public_key().decode().strip()}\n"
            )
            yield ingest
    finally:
        await engine.dispose()


# A French bank's ledger export, which the built-in `ledger` profile cannot read.
CSV_PROFILES = {
    "fr-bank": {
        "record_kind": "ledger",
        "separator": ";",
        "decimal_mark": ",",
        "date_column": "Date",
        "date_format": "%d/%m/%Y",
        "amount_column": "Montant",
        "currency": "EUR",
        "account": "FR-GL-512",
        "bank_reference_column": "Piece",
        "description_column": "Libelle",
    }
}
FRENCH_LEDGER = (
    b"Date;Piece;Libelle;Montant\r\n"
    b"02/12/2026;P-001;Loyer decembre;-1250,00\r\n"
    b"03/12/2026;P-002;Virement client Durand;3400,50\r\n"
)
