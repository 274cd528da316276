"""Object storage: one interface, a local backend and an S3 backend."""

from recon_common.storage.base import (
    ObjectInfo,
    ObjectIntegrityError,
    ObjectNotFound,
    ObjectStore,
    Retention,
    RetentionMode,
    RetentionViolation,
)

__all__ = [
    "ObjectInfo",
    "ObjectIntegrityError",
    "ObjectNotFound",
    "ObjectStore",
    "Retention",
    "RetentionMode",
    "RetentionViolation",
]
