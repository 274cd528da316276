"""FastAPI application of the ingest service: HTTP API, SFTP server, parser."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI
from recon_common.errors import install_error_handler
from recon_common.events import TOPIC_FILE_LANDED
from recon_common.runtime import ServiceRuntime, health_router
from recon_common.storage import ObjectStore
from recon_common.storage.base import ARCHIVE_AFTER
from recon_common.storage.local import LocalObjectStore

from recon_ingest.landing.endpoints import router as files_router
from recon_ingest.landing.service import Lander
from recon_ingest.models import OutboxMessage, ProcessedEvent
from recon_ingest.parsing.handlers import make_file_landed_handler
from recon_ingest.parsing.profiles import load_csv_profiles
from recon_ingest.settings import IngestSettings
from recon_ingest.sftp.server import AuditTrail, start_sftp_server
from recon_ingest.sftp.users import InvalidUsersFile, SftpUser, load_users
from recon_ingest.storage import open_object_store

log = structlog.get_logger(__name__)

# How often the local backend moves landed files past the archive age (seconds). The
# S3 backend needs no job: its lifecycle rule moves objects to Glacier.
ARCHIVE_INTERVAL_S = 3600.0


async def archive_periodically(store: ObjectStore, *, interval_s: float) -> None:
    """Move landed files older than the archive age to the archive area, forever."""
    while True:
        try:
            if isinstance(store, LocalObjectStore):
                moved = await store.archive_older_than(ARCHIVE_AFTER)
                if moved:
                    log.info("storage.archived", objects=moved)
        except OSError as exc:
            log.error("storage.archive.failed", error=str(exc))
        await asyncio.sleep(interval_s)


class UsersFile:
    """The SFTP users, re-read whenever the file changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._version: tuple[int, int] | None = None
        self._users: dict[str, SftpUser] = {}

    def __call__(self) -> dict[str, SftpUser]:
        # Size as well as mtime, so an edit within the file system's timestamp
        # resolution is still seen when it changes the length.
        version = None
        if self._path.exists():
            status = self._path.stat()
            version = (status.st_mtime_ns, status.st_size)
        if version != self._version:
            self._users = load_users(self._path)
            self._version = version
            log.info("sftp.users.loaded", users=len(self._users))
        return self._users

    def csv_profile(self, username: str) -> str | None:
        """Return the CSV profile of `username` in the current users file."""
        try:
            users = self()
        except InvalidUsersFile as exc:
            # Landing must not fail because of a bad edit, so the users loaded
            # last decide until the file is fixed.
            log.error("sftp.users.invalid", error=exc.message)
            users = self._users
        user = users.get(username)
        return user.csv_profile if user is not None else None


def create_app(settings: IngestSettings) -> FastAPI:
    """Build the ingest service application."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        users = UsersFile(settings.sftp_users_file)
        users()
        csv_profiles = load_csv_profiles(settings.csv_profiles_file)
        runtime = ServiceRuntime(
            settings=settings,
            outbox_model=OutboxMessage,
            processed_model=ProcessedEvent,
        )
        store = await open_object_store(settings)
        runtime.add_consumer(
            topics=[TOPIC_FILE_LANDED],
            group_id="ingest-parser",
            handler=make_file_landed_handler(
                settings=settings, store=store, csv_profiles=csv_profiles
            ),
        )
        lander = Lander(
            settings=settings,
            sessions=runtime.sessions,
            store=store,
            relay=runtime.relay,
            csv_profile_of=users.csv_profile,
        )
        audit = AuditTrail(
            settings=settings, sessions=runtime.sessions, relay=runtime.relay
        )
        app.state.runtime = runtime
        app.state.lander = lander
        await runtime.start()
        await lander.recover()
        acceptor = await start_sftp_server(
            settings=settings, users=users, lander=lander, audit=audit
        )
        app.state.sftp_port = acceptor.get_port()
        archiver = asyncio.create_task(
            archive_periodically(store, interval_s=ARCHIVE_INTERVAL_S)
        )
        try:
            yield
        finally:
            archiver.cancel()
            acceptor.close()
            await acceptor.wait_closed()
            await runtime.stop()
            await store.close()

    app = FastAPI(title="Ingest", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handler(app)
    app.include_router(health_router(lambda: app.state.runtime))
    app.include_router(files_router)
    return app
