"""The object store that sealed segments go to, chosen by settings."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from aiobotocore.session import get_session
from botocore.exceptions import ClientError
from recon_common.errors import Conflict
from recon_common.keyvault_client import KeyvaultClient
from recon_common.storage import (
    ObjectNotFound,
    ObjectStore,
    Retention,
    RetentionMode,
)
from recon_common.storage.local import LocalObjectStore
from recon_common.storage.s3 import S3ObjectStore

from recon_audit.settings import AuditSettings, SealBackend

log = structlog.get_logger(__name__)


class SealingConfigError(RuntimeError):
    """Sealing settings or a bucket that cannot hold sealed segments."""


class SegmentConflict(Conflict):
    """An object already stored under a segment key with different content."""


async def open_segment_store(settings: AuditSettings) -> ObjectStore | None:
    """Open the configured store, or return None when sealing is off.

    Raise SealingConfigError when the S3 settings are incomplete or the bucket has
    no Object Lock, because segments there could be deleted.
    """
    if settings.seal_backend == SealBackend.NONE:
        return None
    if settings.seal_backend == SealBackend.S3:
        return await _open_s3_store(settings)
    keys = KeyvaultClient(
        base_url=settings.keyvault_url,
        token=settings.service_token.get_secret_value(),
        bank_id=settings.bank_id,
        service=settings.service_name,
    )
    return _LocalSegmentStore(
        root=settings.seal_storage_path, bank_id=settings.bank_id, keys=keys
    )


class _LocalSegmentStore(LocalObjectStore):
    """A local store that owns its key broker client and closes it."""

    def __init__(self, *, root: Path, bank_id: str, keys: KeyvaultClient) -> None:
        super().__init__(root=root, bank_id=bank_id, keys=keys)
        self._keyvault = keys

    async def close(self) -> None:
        """Close the key broker client."""
        await self._keyvault.close()


async def _open_s3_store(settings: AuditSettings) -> S3ObjectStore:
    if not settings.seal_s3_bucket or not settings.seal_kms_key_arn:
        raise SealingConfigError(
            "AUDIT_SEAL_BACKEND=s3 needs AUDIT_SEAL_S3_BUCKET and "
            "AUDIT_SEAL_KMS_KEY_ARN"
        )
    await check_object_lock(
        bucket=settings.seal_s3_bucket,
        region=settings.seal_s3_region,
        endpoint_url=settings.seal_s3_endpoint_url,
    )
    store = S3ObjectStore(
        bucket=settings.seal_s3_bucket,
        prefix=settings.seal_s3_prefix,
        kms_key_id=settings.seal_kms_key_arn,
        region=settings.seal_s3_region,
        endpoint_url=settings.seal_s3_endpoint_url,
    )
    await store.open()
    return store


async def check_object_lock(
    *, bucket: str, region: str, endpoint_url: str | None
) -> None:
    """Raise SealingConfigError unless `bucket` exists with Object Lock enabled."""
    async with get_session().create_client(
        "s3", region_name=region, endpoint_url=endpoint_url
    ) as client:
        try:
            answer: dict[str, Any] = await client.get_object_lock_configuration(
                Bucket=bucket
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "ObjectLockConfigurationNotFoundError":
                answer = {}
            elif code in {"NoSuchBucket", "404"}:
                raise SealingConfigError(
                    f"S3 bucket {bucket!r} for sealed audit segments not found. "
                    "Create it with Object Lock enabled"
                ) from exc
            else:
                raise
    enabled = answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
    if enabled != "Enabled":
        raise SealingConfigError(
            f"S3 bucket {bucket!r} has no Object Lock, so sealed audit segments "
            "could be deleted; use a bucket created with Object Lock enabled "
            "(it cannot be turned on for this bucket's existing objects)"
        )
    log.info("audit.sealing.object_lock_checked", bucket=bucket)


def segment_retention(settings: AuditSettings) -> Retention:
    """Return the COMPLIANCE retention that new segment objects get."""
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(
        days=settings.seal_retention_days
    )
    return Retention(mode=RetentionMode.COMPLIANCE, retain_until=until)


async def put_once(
    store: ObjectStore, key: str, data: bytes, *, retention: Retention
) -> bool:
    """Store `data` under `key` unless the same bytes are there already.

    Return True when the object was written. Raise SegmentConflict when other bytes
    are stored under `key`, so one range never gets two different segments.
    """
    try:
        stored = await store.get(key)
    except ObjectNotFound:
        await store.put(key, data, retention=retention)
        return True
    if stored != data:
        raise SegmentConflict(
            f"object {key!r} already contains a different segment "
            f"({len(stored)} bytes stored, {len(data)} bytes sealed now); the "
            "journal or the store was changed, so run `recon-audit verify`"
        )
    return False
