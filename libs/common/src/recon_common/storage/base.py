"""The storage interface and the retention rules that every backend enforces.

The rules follow S3 Object Lock: an object under COMPLIANCE retention cannot be
overwritten or deleted before its date, and its retention can be extended but never
shortened or weakened. GOVERNANCE retention can be changed by the platform. The rules
are checked here, in the platform, because S3 emulators accept what AWS rejects.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from recon_common.errors import Conflict, NotFound

# Landed files move to archive storage after this many days.
ARCHIVE_AFTER = timedelta(days=92)


class RetentionMode(StrEnum):
    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


class ObjectNotFound(NotFound):
    """No object is stored under the key."""


class RetentionViolation(Conflict):
    """A write, delete or retention change that the object's retention forbids."""


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
