"""The storage interface and the retention rules that every backend enforces.

The rules follow S3 Object Lock: an object under COMPLIANCE retention cannot be
overwritten or deleted before its date, and its retention can be extended but never
shortened or weakened. GOVERNANCE retention can be changed by the platform. The rules
are checked here, in the platform, because S3 emulators accept what AWS rejects.
"""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from recon_common.errors import Conflict, NotFound, ReconError

# Landed files move to archive storage after this many days.
ARCHIVE_AFTER = timedelta(days=92)
# Plaintext bytes per chunk that `iter_chunks` yields (64 KiB).
STREAM_CHUNK_BYTES = 64 * 1024


class RetentionMode(StrEnum):
    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


class ObjectNotFound(NotFound):
    """No object is stored under the key."""


class RetentionViolation(Conflict):
    """A write, delete or retention change that the object's retention forbids."""


class ObjectIntegrityError(ReconError):
    """Stored content that failed authentication or does not match its SHA-256."""


@dataclass(frozen=True)
class Retention:
    mode: RetentionMode
    retain_until: datetime

    def active(self, now: datetime | None = None) -> bool:
        """Return whether the retention still protects the object."""
        return self.retain_until > (now or datetime.now(UTC))


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size_bytes: int
    sha256: str
    created_at: datetime
    retention: Retention | None
    storage_class: str


def check_overwrite(key: str, current: Retention | None) -> None:
    """Raise if an object under `current` retention may not be replaced."""
    if current is not None and current.active():
        raise RetentionViolation(
            f"object {key!r} is retained in {current.mode} mode until "
            f"{current.retain_until.isoformat()}; it cannot be overwritten"
        )


def check_delete(key: str, current: Retention | None) -> None:
    """Raise if an object under `current` retention may not be deleted."""
    if current is not None and current.active():
        raise RetentionViolation(
            f"object {key!r} is retained in {current.mode} mode until "
            f"{current.retain_until.isoformat()}; it cannot be deleted"
        )


def check_retention_change(key: str, current: Retention | None, new: Retention) -> None:
    """Raise if `new` would shorten or weaken an active COMPLIANCE retention."""
    if current is None or not current.active():
        return
    if current.mode != RetentionMode.COMPLIANCE:
        return
    if new.mode != RetentionMode.COMPLIANCE:
        raise RetentionViolation(
            f"object {key!r} is retained in COMPLIANCE mode; its mode cannot be "
            f"changed to {new.mode}"
        )
    if new.retain_until < current.retain_until:
        raise RetentionViolation(
            f"object {key!r} is retained in COMPLIANCE mode until "
            f"{current.retain_until.isoformat()}; retention can be extended but not "
            f"shortened to {new.retain_until.isoformat()}"
        )


class ObjectStore(Protocol):
    """The operations that services need from object storage."""

    async def put(
        self, key: str, data: bytes, *, retention: Retention | None = None
    ) -> ObjectInfo:
        """Store `data` encrypted under `key`, refusing to replace a retained object."""
        ...

    async def get(self, key: str) -> bytes:
        """Return the decrypted bytes stored under `key`."""
        ...

    def iter_chunks(
        self, key: str, *, sha256: str | None = None
    ) -> AsyncIterator[bytes]:
        """Yield the decrypted content of `key` in chunks, in flat memory.

        The SHA-256 of the content is checked against `sha256`, or against the
        digest stored with the object when `sha256` is None. A mismatch raises
        ObjectIntegrityError after the last chunk, so a caller must not act on the
        content before the iteration has finished.
        """
        ...

    async def download_to(
        self, key: str, destination: Path, *, sha256: str | None = None
    ) -> int:
        """Write the decrypted content of `key` to `destination` and return its size.

        Raises ObjectIntegrityError as `iter_chunks` does, and leaves a partly
        written `destination` for the caller to delete.
        """
        ...

    async def head(self, key: str) -> ObjectInfo:
        """Return the metadata of the object under `key`."""
        ...

    async def delete(self, key: str) -> None:
        """Delete the object unless its retention forbids it."""
        ...

    async def set_retention(self, key: str, retention: Retention) -> None:
        """Extend or set the retention of an object."""
        ...

    async def close(self) -> None:
        """Release clients and connections."""
        ...


class Sha256Check:
    """The running SHA-256 of streamed content, compared with the expected digest."""

    def __init__(self, key: str, expected: str | None) -> None:
        self._key = key
        self._expected = expected.lower() if expected else None
        self._digest = hashlib.sha256()
        self.size_bytes = 0

    def update(self, chunk: bytes) -> None:
        """Add `chunk` to the digest."""
        self._digest.update(chunk)
        self.size_bytes += len(chunk)

    def verify(self) -> None:
        """Raise ObjectIntegrityError if an expected digest was given and differs."""
        actual = self._digest.hexdigest()
        if self._expected is not None and actual != self._expected:
            raise ObjectIntegrityError(
                f"object {self._key!r} has SHA-256 {actual}, but {self._expected} "
                f"was expected ({self.size_bytes} bytes read); the stored object "
                "was changed or truncated"
            )


async def write_chunks(chunks: AsyncIterator[bytes], destination: Path) -> int:
    """Write `chunks` to `destination` and return the number of bytes written.

    A missing `destination` is created with mode 0600, and an existing one is
    truncated but keeps its mode, so a caller can prepare a private file first.
    """
    descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    with os.fdopen(descriptor, "wb") as stream:
        async for chunk in chunks:
            await asyncio.to_thread(stream.write, chunk)
            written += len(chunk)
        await asyncio.to_thread(stream.flush)
    return written
