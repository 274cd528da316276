"""Landing: turn a completed upload into a stored, announced file.

A completed upload is first moved into the landing queue folder under a name that
carries its new file id. Landing then stores it encrypted and retained, records it,
and announces it on `file-landed` through the outbox, all keyed by that id. If the
process dies at any step, `recover` finds the queued file at start-up and finishes the
job without landing it twice.

When the object cannot be stored, for example because the key broker rejects the
data key request for a disabled bank key, `land` raises `StoreFailed` before anything
is recorded. The SFTP session then deletes the queued copy and fails the upload, so
the sender uploads the file again later. `recover` leaves such a file queued for the
next start.
"""

import asyncio
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from botocore.exceptions import ClientError
from recon_common.audit import record_audit
from recon_common.db import session_scope
from recon_common.events import (
    TOPIC_FILE_LANDED,
    FileLanded,
    FileRef,
    FileStatus,
    RecordKind,
)
from recon_common.keyvault_client import KeyBrokerError
from recon_common.outbox import OutboxRelay, enqueue
from recon_common.storage import ObjectNotFound, ObjectStore, Retention, RetentionMode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_ingest.landing import repository
from recon_ingest.models import LandedFile, OutboxMessage
from recon_ingest.settings import IngestSettings

log = structlog.get_logger(__name__)

_SEPARATOR = "__"
# The error name in the key broker's JSON error body, which `KeyBrokerError` carries
# only as text: `... with status 403: {"error":"KeyDisabled","detail":...}`.
_KEY_BROKER_ERROR_NAME = re.compile(r'"error"\s*:\s*"([A-Za-z][A-Za-z0-9_]*)"')


@dataclass(frozen=True)
class QueuedUpload:
    file_id: str
    username: str
    filename: str
    path: Path


class StoreFailed(Exception):
    """A queued upload could not be stored in object storage, so it did not land."""

    def __init__(self, upload: QueuedUpload, *, error_name: str, error: str) -> None:
        super().__init__(f"file {upload.file_id} was not stored: {error_name}")
        self.upload = upload
        # The key broker's error name (such as KeyDisabled), the S3 error code, or
        # the exception class when neither names the cause.
        self.error_name = error_name
        self.error = error


class Lander:
    """Store completed uploads and announce them."""

    def __init__(
        self,
        *,
        settings: IngestSettings,
        sessions: async_sessionmaker[AsyncSession],
        store: ObjectStore,
        relay: OutboxRelay,
        csv_profile_of: Callable[[str], str | None],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._store = store
        self._relay = relay
        # Looked up when each file lands, so a re-read users file applies at once.
        self._csv_profile_of = csv_profile_of
        self.queue_dir = settings.sftp_root / ".landing"
        self.queue_dir.mkdir(parents=True, exist_ok=True)

    def enqueue_upload(
        self, *, path: Path, username: str, filename: str
    ) -> QueuedUpload:
        """Move a completed upload into the landing queue under a new file id."""
        file_id = str(uuid.uuid4())
        queued = self.queue_dir / _SEPARATOR.join((file_id, username, filename))
        os.replace(path, queued)
        return QueuedUpload(
            file_id=file_id, username=username, filename=filename, path=queued
        )

    async def land(self, upload: QueuedUpload) -> None:
        """Store, record and announce a queued upload, then remove it from the queue.

        Raise `StoreFailed` when the object cannot be stored. The upload then stays
        in the queue and nothing is recorded.
        """
        data = await asyncio.to_thread(upload.path.read_bytes)
        sha256 = hashlib.sha256(data).hexdigest()
        landed_at = datetime.now(UTC)
        object_key = f"landed/{landed_at:%Y/%m/%d}/{upload.file_id}/{upload.filename}"

        async with session_scope(self._sessions) as session:
            if await repository.get_file(session, upload.file_id) is not None:
                log.info("landing.already_landed", file_id=upload.file_id)
                upload.path.unlink(missing_ok=True)
                return

        try:
            await self._store_object(object_key, data, sha256)
        except KeyBrokerError as exc:
            raise StoreFailed(
                upload, error_name=_key_broker_error_name(exc), error=exc.message
            ) from exc
        except ClientError as exc:
            # NOTE: no test covers this S3 path, so the error codes that reach it
            # from AWS KMS are not checked.
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            raise StoreFailed(upload, error_name=code, error=str(exc)) from exc
        except OSError as exc:
            raise StoreFailed(
                upload, error_name=type(exc).__name__, error=str(exc)
            ) from exc
        async with session_scope(self._sessions) as session:
            row = LandedFile(
                file_id=upload.file_id,
                bank_id=self._settings.bank_id,
                filename=upload.filename,
                uploaded_by=upload.username,
                sha256=sha256,
                size_bytes=len(data),
                object_key=object_key,
                csv_profile=self._csv_profile_of(upload.username),
                status=FileStatus.LANDED.value,
                landed_at=landed_at,
                transaction_count=0,
            )
            session.add(row)
            enqueue(
                session,
                OutboxMessage,
                settings=self._settings,
                topic=TOPIC_FILE_LANDED,
                payload=FileLanded(
                    file=file_ref(row),
                    object_key=object_key,
                    uploaded_by=upload.username,
                ),
                key=upload.file_id,
            )
            record_audit(
                session,
                OutboxMessage,
                settings=self._settings,
                actor=f"sftp:{upload.username}",
                action="file.received",
                resource_type="file",
                resource_id=upload.file_id,
                details={
                    "filename": upload.filename,
                    "sha256": sha256,
                    "size_bytes": str(len(data)),
                },
            )
        self._relay.notify()
        upload.path.unlink(missing_ok=True)
        log.info(
            "landing.file.landed",
            file_id=upload.file_id,
            filename=upload.filename,
            size_bytes=len(data),
            user=upload.username,
        )

    async def _store_object(self, object_key: str, data: bytes, sha256: str) -> None:
        try:
            existing = await self._store.head(object_key)
        except ObjectNotFound:
            existing = None
        if existing is not None and existing.sha256 == sha256:
            return
        retention = Retention(
            mode=RetentionMode.COMPLIANCE,
            retain_until=datetime.now(UTC)
            + timedelta(days=self._settings.retention_days),
        )
        await self._store.put(object_key, data, retention=retention)

    def queued_uploads(self) -> list[QueuedUpload]:
        """List uploads waiting in the landing queue, oldest first."""
        uploads = []
        for path in sorted(
            self.queue_dir.iterdir(), key=lambda item: item.stat().st_mtime
        ):
            parts = path.name.split(_SEPARATOR, 2)
            if len(parts) != 3 or path.name.startswith("."):
                continue
            file_id, username, filename = parts
            uploads.append(QueuedUpload(file_id, username, filename, path))
        return uploads

    def discard(self, upload: QueuedUpload) -> None:
        """Delete a queued upload that will not be landed."""
        upload.path.unlink(missing_ok=True)

    async def recover(self) -> int:
        """Land the uploads that an earlier run left queued, and return how many landed.

        An upload that cannot be stored stays in the queue for the next start.
        """
        landed = 0
        for upload in self.queued_uploads():
            log.warning("landing.recovering", file_id=upload.file_id)
            try:
                await self.land(upload)
            except StoreFailed as failure:
                log.error(
                    "landing.recover.store_failed",
                    file_id=upload.file_id,
                    filename=upload.filename,
                    user=upload.username,
                    reason=failure.error_name,
                    error=failure.error,
                )
                continue
            landed += 1
        return landed


def _key_broker_error_name(error: KeyBrokerError) -> str:
    found = _KEY_BROKER_ERROR_NAME.search(error.message)
    return found.group(1) if found else type(error).__name__


def file_ref(row: LandedFile) -> FileRef:
    """Return the event view of a landed file."""
    return FileRef(
        file_id=row.file_id,
        filename=row.filename,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        landed_at=row.landed_at,
        status=FileStatus(row.status),
        source_format=row.source_format,
        record_kind=RecordKind(row.record_kind) if row.record_kind else None,
        transaction_count=row.transaction_count or 0,
        rejection_reason=row.rejection_reason,
        warnings=json.loads(row.warnings) if row.warnings else [],
    )
