"""asyncssh SFTP server: authentication, per-user folders and upload completion.

Each user is confined to `<sftp_root>/home/<username>` (asyncssh's chroot, plus a
check that no resolved path leaves the folder, and no symlink creation). An upload is
written to a hidden `.part` file and handed to the lander only when the client closes
it. A session that ends with the file still open (a dropped connection, a killed
client) leaves an incomplete upload, which is deleted and never parsed. An upload
that cannot be stored (the bank's key is disabled, the key broker is down) is
deleted too, and the client's close request fails with `STORE_FAILED_MESSAGE`, so
the sender learns that the file must be uploaded again.
"""

import asyncio
import os
import secrets
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import asyncssh
import structlog
from recon_common.audit import record_audit
from recon_common.db import session_scope
from recon_common.events import AuditOutcome
from recon_common.outbox import OutboxRelay
from recon_common.passwords import verify_password
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_ingest.landing.service import Lander, QueuedUpload, StoreFailed
from recon_ingest.models import OutboxMessage
from recon_ingest.settings import IngestSettings
from recon_ingest.sftp.users import SftpUser

log = structlog.get_logger(__name__)

# Failed logins of one user are slowed down: 0.5 s after the first, doubling up to 8 s.
_FIRST_DELAY_S = 0.5
_MAX_DELAY_S = 8.0

# Status message of a failed close request when the upload could not be stored. It
# names no key or internal detail, because the sender is outside the platform.
STORE_FAILED_MESSAGE = (
    "the platform cannot store files now, so this file was not accepted; upload it "
    "again later, and contact the platform team if this continues"
)


class AuditTrail:
    """Write SFTP audit events through the ingest outbox."""

    def __init__(
        self,
        *,
        settings: IngestSettings,
        sessions: async_sessionmaker[AsyncSession],
        relay: OutboxRelay,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._relay = relay

    async def record(
        self,
        *,
        username: str,
        action: str,
        outcome: AuditOutcome,
        details: dict[str, str],
    ) -> None:
        """Record one SFTP audit event."""
        async with session_scope(self._sessions) as session:
            record_audit(
                session,
                OutboxMessage,
                settings=self._settings,
                actor=f"sftp:{username}",
                action=action,
                outcome=outcome,
                resource_type="sftp_user",
                resource_id=username,
                details=details,
            )
        self._relay.notify()


class FailedLoginThrottle:
    """Delay each failed login of a user longer than the previous one."""

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}

    def delay_for(self, username: str) -> float:
        """Return the delay to apply after a new failure of `username`."""
        count = self._failures.get(username, 0) + 1
        self._failures[username] = count
        delay: float = _FIRST_DELAY_S * 2.0 ** (count - 1)
        return min(delay, _MAX_DELAY_S)

    def reset(self, username: str) -> None:
        """Forget the failures of `username` after a successful login."""
        self._failures.pop(username, None)


class BankSSHServer(asyncssh.SSHServer):
    """Authenticate bank users by public key or password."""

    def __init__(
        self,
        *,
        users: Callable[[], dict[str, SftpUser]],
        audit: AuditTrail,
        throttle: FailedLoginThrottle,
    ) -> None:
        self._users = users
        self._audit = audit
        self._throttle = throttle
        self._peer = "unknown"
        self._username = ""
        self._authenticated = False
        self._failure_recorded = False
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if peer else "unknown"

    def begin_auth(self, username: str) -> bool:
        self._username = username
        return True

    def password_auth_supported(self) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        user = self._users().get(username)
        if user is None:
            return False
        wanted = key.public_data
        return any(candidate.public_data == wanted for candidate in user.public_keys)

    async def validate_password(self, username: str, password: str) -> bool:
        user = self._users().get(username)
        valid = False
        if user is not None and user.password_hash:
            valid = await asyncio.to_thread(
                verify_password, password, user.password_hash
            )
        if valid:
            return True
        await self._login_failed(username, method="password")
        return False

    def auth_completed(self) -> None:
        self._authenticated = True
        self._throttle.reset(self._username)
        log.info("sftp.login.succeeded", user=self._username, peer=self._peer)
        self._spawn(
            self._audit.record(
                username=self._username,
                action="sftp.login",
                outcome=AuditOutcome.SUCCESS,
                details={"peer": self._peer},
            )
        )

    async def _login_failed(self, username: str, *, method: str) -> None:
        self._failure_recorded = True
        delay = self._throttle.delay_for(username)
        log.warning("sftp.login.failed", user=username, peer=self._peer, method=method)
        await self._audit.record(
            username=username,
            action="sftp.login",
            outcome=AuditOutcome.FAILURE,
            details={"peer": self._peer, "method": method},
        )
        await asyncio.sleep(delay)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._username and not self._authenticated and not self._failure_recorded:
            # A client that offered only unknown keys ends here without a password try.
            log.warning("sftp.login.failed", user=self._username, peer=self._peer)
            self._spawn(
                self._audit.record(
                    username=self._username,
                    action="sftp.login",
                    outcome=AuditOutcome.FAILURE,
                    details={"peer": self._peer, "method": "none accepted"},
                )
            )


class _Upload:
    def __init__(self, handle: Any, part: Path, final: Path) -> None:
        self.handle = handle
        self.part = part
        self.final = final
        self.size = 0
        self.rejection: str | None = None


class BankSFTPServer(asyncssh.SFTPServer):
    """An SFTP session confined to the user's home folder."""

    def __init__(
        self,
        chan: asyncssh.SSHServerChannel[bytes],
        *,
        settings: IngestSettings,
        lander: Lander,
        audit: AuditTrail,
    ) -> None:
        self._username: str = chan.get_extra_info("username")
        self._home = (settings.sftp_root / "home" / self._username).resolve()
        self._home.mkdir(parents=True, exist_ok=True)
        self._settings = settings
        self._lander = lander
        self._audit = audit
        self._uploads: dict[int, _Upload] = {}
        super().__init__(chan, chroot=os.fsencode(self._home))

    def map_path(self, path: bytes) -> bytes:
        mapped = super().map_path(path)
        resolved = Path(os.fsdecode(mapped)).resolve()
        if resolved != self._home and self._home not in resolved.parents:
            raise asyncssh.SFTPPermissionDenied("path leads outside your home folder")
        return os.fsencode(resolved)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("symbolic links are not allowed")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("hard links are not allowed")

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if not pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND):
            return super().open(path, pflags, attrs)
        final = Path(os.fsdecode(self.map_path(path)))
        if final.name.startswith("."):
            raise asyncssh.SFTPPermissionDenied(
                "file names starting with '.' are reserved"
            )
        part = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
        handle = open(part, "wb")  # noqa: SIM115 - closed in close()
        upload = _Upload(handle, part, final)
        self._uploads[id(handle)] = upload
        return handle

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        upload = self._uploads.get(id(file_obj))
        if upload is not None:
            end = offset + len(data)
            if end > self._settings.max_upload_bytes:
                upload.rejection = (
                    f"file exceeds the maximum upload size of "
                    f"{self._settings.max_upload_bytes} bytes"
                )
            if upload.rejection is not None:
                raise asyncssh.SFTPFailure(upload.rejection)
            upload.size = max(upload.size, end)
        # The base class writes synchronously to the local file object.
        written = cast(int, super().write(file_obj, offset, data))
        return written

    async def close(self, file_obj: object) -> None:
        upload = self._uploads.pop(id(file_obj), None)
        # NOTE: asyncssh 2.24 calls close() for a client's CLOSE request and also
        # from SFTPServerHandler._cleanup when a session ends with files still open.
        # Only the first means the upload is complete, so the caller is checked.
        ended_session = sys._getframe(1).f_code.co_name == "_cleanup"
        super().close(file_obj)
        if upload is None:
            return
        if ended_session or upload.rejection is not None:
            # An upload that was cut off or refused is deleted, never landed.
            upload.part.unlink(missing_ok=True)
            reason = upload.rejection or "session ended before the file was closed"
            log.warning(
                "sftp.upload.discarded",
                user=self._username,
                filename=upload.final.name,
                reason=reason,
            )
            action = (
                "file.upload_incomplete" if ended_session else "file.upload_rejected"
            )
            await self._audit.record(
                username=self._username,
                action=action,
                outcome=AuditOutcome.FAILURE,
                details={
                    "filename": upload.final.name,
                    "bytes": str(upload.size),
                    "reason": reason,
                },
            )
            return
        queued = self._lander.enqueue_upload(
            path=upload.part, username=self._username, filename=upload.final.name
        )
        try:
            await self._lander.land(queued)
        except StoreFailed as failure:
            await self._reject_unstored(queued, failure)
            raise asyncssh.SFTPFailure(STORE_FAILED_MESSAGE) from None

    async def _reject_unstored(
        self, queued: QueuedUpload, failure: StoreFailed
    ) -> None:
        # The plaintext copy is deleted rather than kept until the key works again,
        # because the client receives a failure status and must send the file again.
        self._lander.discard(queued)
        log.error(
            "sftp.upload.store_failed",
            file_id=queued.file_id,
            filename=queued.filename,
            user=self._username,
            reason=failure.error_name,
            error=failure.error,
        )
        await self._audit.record(
            username=self._username,
            action="file.upload_rejected",
            outcome=AuditOutcome.FAILURE,
            details={
                "filename": queued.filename,
                "file_id": queued.file_id,
                "reason": f"the file could not be stored: {failure.error_name}",
            },
        )


async def start_sftp_server(
    *,
    settings: IngestSettings,
    users: Callable[[], dict[str, SftpUser]],
    lander: Lander,
    audit: AuditTrail,
) -> asyncssh.SSHAcceptor:
    """Listen for SFTP connections on the configured address."""
    host_key = _load_or_create_host_key(settings.sftp_host_key)
    throttle = FailedLoginThrottle()
    acceptor = await asyncssh.listen(
        settings.sftp_host,
        settings.sftp_port,
        server_host_keys=[host_key],
        server_factory=lambda: BankSSHServer(
            users=users, audit=audit, throttle=throttle
        ),
        sftp_factory=lambda chan: BankSFTPServer(
            chan, settings=settings, lander=lander, audit=audit
        ),
        allow_scp=False,
        login_timeout=60,
    )
    log.info(
        "sftp.listening",
        host=settings.sftp_host,
        port=acceptor.get_port(),
        started_at=datetime.now(UTC).isoformat(),
    )
    return acceptor


def _load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    if path.exists():
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.parent.mkdir(parents=True, exist_ok=True)
    key.write_private_key(path)
    os.chmod(path, 0o600)
    log.info("sftp.host_key.created", path=str(path))
    return key
