"""S3 object storage with SSE-KMS, Object Lock and a Glacier lifecycle rule.

The bucket is created with Object Lock enabled (which turns on versioning). Every
object is written with server-side encryption under the bank's KMS key. Retention is
checked here before each write, delete or retention change, since S3 emulators do not
enforce COMPLIANCE mode the way AWS does.
"""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from recon_common.storage.base import (
    ARCHIVE_AFTER,
    STREAM_CHUNK_BYTES,
    ObjectInfo,
    ObjectNotFound,
    Retention,
    RetentionMode,
    Sha256Check,
    check_delete,
    check_overwrite,
    check_retention_change,
    write_chunks,
)

log = structlog.get_logger(__name__)

LIFECYCLE_RULE_ID = "archive-landed-files"


class S3ObjectStore:
    """Object storage in one S3 bucket, under the bank's prefix and KMS key."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str,
        kms_key_id: str,
        region: str = "eu-west-1",
        endpoint_url: str | None = None,
        archive_prefix: str = "landed/",
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix.rstrip("/") + "/" if prefix else ""
        self._kms_key_id = kms_key_id
        self._region = region
        self._endpoint_url = endpoint_url
        self._archive_prefix = archive_prefix
        self._context: Any = None
        self._client: Any = None

    async def open(self) -> None:
        """Create the client; call once before use."""
        session = get_session()
        self._context = session.create_client(
            "s3", region_name=self._region, endpoint_url=self._endpoint_url
        )
        self._client = await self._context.__aenter__()

    async def close(self) -> None:
        """Close the client."""
        if self._context is not None:
            await self._context.__aexit__(None, None, None)
            self._context = None

    def _full_key(self, key: str) -> str:
        return f"{self._prefix}{key}"

    async def ensure_bucket(self) -> None:
        """Create the Object Lock bucket if missing.

        Then apply default SSE-KMS encryption and the archive lifecycle rule. Both
        calls replace the bucket's configuration, so running this again is harmless.
        """
        try:
            await self._client.head_bucket(Bucket=self._bucket)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"404", "NoSuchBucket"}:
                raise
            options: dict[str, Any] = {
                "Bucket": self._bucket,
                "ObjectLockEnabledForBucket": True,
            }
            if self._region != "us-east-1":
                options["CreateBucketConfiguration"] = {
                    "LocationConstraint": self._region
                }
            await self._client.create_bucket(**options)
            log.info("storage.bucket.created", bucket=self._bucket)
        await self._client.put_bucket_encryption(
            Bucket=self._bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": self._kms_key_id,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        await self._client.put_bucket_lifecycle_configuration(
            Bucket=self._bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": LIFECYCLE_RULE_ID,
                        "Status": "Enabled",
                        "Filter": {"Prefix": self._full_key(self._archive_prefix)},
                        "Transitions": [
                            {"Days": ARCHIVE_AFTER.days, "StorageClass": "GLACIER"}
                        ],
                    }
                ]
            },
        )

    async def _current_retention(self, key: str) -> Retention | None:
        # HeadObject returns the lock mode and date (given s3:GetObjectRetention) and
        # works on moto 5.2, which does not implement GetObjectRetention.
        try:
            answer = await self._client.head_object(
                Bucket=self._bucket, Key=self._full_key(key)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                return None
            raise
        if not answer.get("ObjectLockMode"):
            return None
        return Retention(
            mode=RetentionMode(answer["ObjectLockMode"]),
            retain_until=answer["ObjectLockRetainUntilDate"].astimezone(UTC),
        )

    async def put(
        self, key: str, data: bytes, *, retention: Retention | None = None
    ) -> ObjectInfo:
        """Write `data` with SSE-KMS and, if given, an Object Lock retention."""
        check_overwrite(key, await self._current_retention(key))
        digest = hashlib.sha256(data).hexdigest()
        options: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": self._full_key(key),
            "Body": data,
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": self._kms_key_id,
            "Metadata": {"sha256": digest},
        }
        if retention is not None:
            options["ObjectLockMode"] = retention.mode.value
            options["ObjectLockRetainUntilDate"] = retention.retain_until
        await self._client.put_object(**options)
        return ObjectInfo(
            key=key,
            size_bytes=len(data),
            sha256=digest,
            created_at=datetime.now(UTC),
            retention=retention,
            storage_class="STANDARD",
        )

    async def get(self, key: str) -> bytes:
        """Return the content of the object under `key`."""
        answer = await self._get_object(key)
        async with answer["Body"] as stream:
            content: bytes = await stream.read()
        return content

    async def iter_chunks(
        self, key: str, *, sha256: str | None = None
    ) -> AsyncIterator[bytes]:
        """Yield the content of `key` as it arrives, checking its SHA-256 at the end.

        The digest is compared with `sha256`, or else with the `sha256` metadata
        that `put` stores. S3 decrypts SSE-KMS objects before it sends them.
        """
        answer = await self._get_object(key)
        expected = sha256 or answer.get("Metadata", {}).get("sha256") or None
        check = Sha256Check(key, expected)
        async with answer["Body"] as stream:
            async for chunk in stream.iter_chunks(STREAM_CHUNK_BYTES):
                check.update(chunk)
                yield chunk
        check.verify()

    async def download_to(
        self, key: str, destination: Path, *, sha256: str | None = None
    ) -> int:
        """Stream the object under `key` into `destination` and return its size."""
        return await write_chunks(self.iter_chunks(key, sha256=sha256), destination)

    async def _get_object(self, key: str) -> Any:
        try:
            return await self._client.get_object(
                Bucket=self._bucket, Key=self._full_key(key)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                raise ObjectNotFound(f"object {key!r} not found") from None
            raise

    async def head(self, key: str) -> ObjectInfo:
        """Return the metadata of the object under `key`."""
        try:
            answer = await self._client.head_object(
                Bucket=self._bucket, Key=self._full_key(key)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                raise ObjectNotFound(f"object {key!r} not found") from None
            raise
        retention = None
        if answer.get("ObjectLockMode"):
            retention = Retention(
                mode=RetentionMode(answer["ObjectLockMode"]),
                retain_until=answer["ObjectLockRetainUntilDate"].astimezone(UTC),
            )
        return ObjectInfo(
            key=key,
            size_bytes=answer["ContentLength"],
            sha256=answer.get("Metadata", {}).get("sha256", ""),
            created_at=answer["LastModified"].astimezone(UTC),
            retention=retention,
            storage_class=answer.get("StorageClass", "STANDARD"),
        )

    async def delete(self, key: str) -> None:
        """Delete the object unless its retention forbids it."""
        check_delete(key, await self._current_retention(key))
        await self._client.delete_object(Bucket=self._bucket, Key=self._full_key(key))

    async def set_retention(self, key: str, retention: Retention) -> None:
        """Set or extend the Object Lock retention of the object under `key`."""
        check_retention_change(key, await self._current_retention(key), retention)
        await self._client.put_object_retention(
            Bucket=self._bucket,
            Key=self._full_key(key),
            Retention={
                "Mode": retention.mode.value,
                "RetainUntilDate": retention.retain_until,
            },
        )
