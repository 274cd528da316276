"""Tests for `S3ObjectStore` against a real `moto_server` on 127.0.0.1.

moto accepts some operations that AWS rejects under COMPLIANCE retention, so these
tests also check that the store itself rejects them before it sends the change.
"""

import hashlib
import os
import secrets
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiobotocore.session import get_session
from recon_common.storage import (
    ObjectIntegrityError,
    ObjectNotFound,
    Retention,
    RetentionMode,
    RetentionViolation,
)
from recon_common.storage.base import STREAM_CHUNK_BYTES
from recon_common.storage.s3 import LIFECYCLE_RULE_ID, S3ObjectStore

REGION = "eu-west-1"
PREFIX = "bank-a"
KEY = "landed/2026-12-04/statement.mt940"
CONTENT = b":20:STATEMENT-1\r\n:25:DE89370400440532013000\r\n"
MOTO_SERVER = Path(sys.executable).with_name("moto_server")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `moto_server` on a free loopback port and return its URL."""
    folder = tmp_path_factory.mktemp("moto")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:
        # Dummy credentials, and no shared AWS files, so no real account is ever used.
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_CONFIG_FILE", str(folder / "absent-config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "absent-credentials"))
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        with (folder / "moto.log").open("wb") as log:
            process = subprocess.Popen(
                [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
            )
            try:
                _wait_for_http(endpoint, process)
                yield endpoint
            finally:
                process.terminate()
                process.wait(timeout=10)


def _wait_for_http(endpoint: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode}")
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        return
    raise TimeoutError(f"moto_server did not answer on {endpoint} within 30 s")


@pytest.fixture
async def kms_key_arn(moto_endpoint: str) -> str:
    """Create a KMS key on moto and return its ARN."""
    session = get_session()
    async with session.create_client(
        "kms", region_name=REGION, endpoint_url=moto_endpoint
    ) as kms:
        created = await kms.create_key(Description="bank-a storage key")
    arn: str = created["KeyMetadata"]["Arn"]
    return arn


@pytest.fixture
async def s3(moto_endpoint: str) -> AsyncIterator[Any]:
    """Return a raw S3 client on moto, to inspect what the store did."""
    session = get_session()
    async with session.create_client(
        "s3", region_name=REGION, endpoint_url=moto_endpoint
    ) as client:
        yield client


@pytest.fixture
async def store(moto_endpoint: str, kms_key_arn: str) -> AsyncIterator[S3ObjectStore]:
    """Return an opened store on a new bucket that `ensure_bucket` has prepared."""
    store = S3ObjectStore(
        bucket=f"recon-test-{uuid.uuid4().hex[:12]}",
        prefix=PREFIX,
        kms_key_id=kms_key_arn,
        region=REGION,
        endpoint_url=moto_endpoint,
    )
    await store.open()
    try:
        await store.ensure_bucket()
        yield store
    finally:
        await store.close()


def _bucket(store: S3ObjectStore) -> str:
    return store._bucket  # noqa: SLF001 - the tests inspect the bucket it created


def _retention(days: int, mode: RetentionMode = RetentionMode.COMPLIANCE) -> Retention:
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return Retention(mode=mode, retain_until=until)


async def test_ensure_bucket_enables_object_lock(store: S3ObjectStore, s3: Any) -> None:
    answer = await s3.get_object_lock_configuration(Bucket=_bucket(store))

    assert answer["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


async def test_ensure_bucket_enables_versioning(store: S3ObjectStore, s3: Any) -> None:
    answer = await s3.get_bucket_versioning(Bucket=_bucket(store))

    assert answer["Status"] == "Enabled"


async def test_ensure_bucket_lifecycle_archives_landed(
    store: S3ObjectStore, s3: Any
) -> None:
    answer = await s3.get_bucket_lifecycle_configuration(Bucket=_bucket(store))

    rules = answer["Rules"]
    assert len(rules) == 1
    assert rules[0]["ID"] == LIFECYCLE_RULE_ID
    assert rules[0]["Status"] == "Enabled"
    assert rules[0]["Filter"]["Prefix"] == f"{PREFIX}/landed/"
    assert rules[0]["Transitions"] == [{"Days": 92, "StorageClass": "GLACIER"}]


async def test_ensure_bucket_default_encryption_kms(
    store: S3ObjectStore, s3: Any, kms_key_arn: str
) -> None:
    answer = await s3.get_bucket_encryption(Bucket=_bucket(store))

    rule = answer["ServerSideEncryptionConfiguration"]["Rules"][0]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"] == kms_key_arn


async def test_ensure_bucket_twice_is_idempotent(store: S3ObjectStore, s3: Any) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))

    await store.ensure_bucket()

    lock = await s3.get_object_lock_configuration(Bucket=_bucket(store))
    lifecycle = await s3.get_bucket_lifecycle_configuration(Bucket=_bucket(store))
    assert lock["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert len(lifecycle["Rules"]) == 1
    assert await store.get(KEY) == CONTENT


async def test_put_compliance_object_headers(
    store: S3ObjectStore, s3: Any, kms_key_arn: str
) -> None:
    retention = _retention(30)

    await store.put(KEY, CONTENT, retention=retention)

    answer = await s3.head_object(Bucket=_bucket(store), Key=f"{PREFIX}/{KEY}")
    assert answer["ServerSideEncryption"] == "aws:kms"
    assert answer["SSEKMSKeyId"] == kms_key_arn
    assert answer["ObjectLockMode"] == "COMPLIANCE"
    assert answer["ObjectLockRetainUntilDate"] == retention.retain_until


async def test_put_then_head_and_get(store: S3ObjectStore) -> None:
    retention = _retention(30)
    info = await store.put(KEY, CONTENT, retention=retention)

    head = await store.head(KEY)
    content = await store.get(KEY)

    assert content == CONTENT
    assert head.size_bytes == len(CONTENT)
    assert head.sha256 == info.sha256
    assert head.retention == retention
    assert head.storage_class == "STANDARD"


async def test_missing_object_not_found(store: S3ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        await store.get(KEY)
    with pytest.raises(ObjectNotFound):
        await store.head(KEY)


async def test_compliance_overwrite_rejected(store: S3ObjectStore) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))

    with pytest.raises(RetentionViolation, match="cannot be overwritten"):
        await store.put(KEY, b"replaced")

    assert await store.get(KEY) == CONTENT


async def test_compliance_delete_rejected(store: S3ObjectStore) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))

    with pytest.raises(RetentionViolation, match="cannot be deleted"):
        await store.delete(KEY)

    assert await store.get(KEY) == CONTENT


async def test_compliance_shortening_rejected(store: S3ObjectStore) -> None:
    original = _retention(30)
    await store.put(KEY, CONTENT, retention=original)

    with pytest.raises(RetentionViolation, match="extended but not shortened"):
        await store.set_retention(KEY, _retention(10))

    head = await store.head(KEY)
    assert head.retention == original


async def test_compliance_switch_to_governance_rejected(store: S3ObjectStore) -> None:
    original = _retention(30)
    await store.put(KEY, CONTENT, retention=original)

    with pytest.raises(RetentionViolation, match="mode cannot be changed"):
        await store.set_retention(KEY, _retention(60, RetentionMode.GOVERNANCE))

    head = await store.head(KEY)
    assert head.retention == original


async def test_compliance_retention_extended(store: S3ObjectStore) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))
    longer = _retention(60)

    await store.set_retention(KEY, longer)

    head = await store.head(KEY)
    assert head.retention == longer


async def test_unretained_object_overwrite_and_delete(store: S3ObjectStore) -> None:
    await store.put(KEY, CONTENT)

    await store.put(KEY, b"replaced")
    replaced = await store.get(KEY)
    await store.delete(KEY)

    assert replaced == b"replaced"
    with pytest.raises(ObjectNotFound):
        await store.get(KEY)


async def test_put_writes_under_bank_prefix(store: S3ObjectStore, s3: Any) -> None:
    await store.put(KEY, CONTENT)

    listing = await s3.list_objects_v2(Bucket=_bucket(store))

    assert [item["Key"] for item in listing["Contents"]] == [f"{PREFIX}/{KEY}"]


# Three full stream chunks and part of a fourth.
LARGE_CONTENT = secrets.token_bytes(3 * STREAM_CHUNK_BYTES + 4321)


async def test_iter_chunks_streams_content(store: S3ObjectStore) -> None:
    await store.put(KEY, LARGE_CONTENT)

    chunks = [chunk async for chunk in store.iter_chunks(KEY)]

    assert b"".join(chunks) == LARGE_CONTENT
    assert len(chunks) >= 4
    assert max(len(chunk) for chunk in chunks) <= STREAM_CHUNK_BYTES


async def test_download_to_writes_private_file(
    store: S3ObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, LARGE_CONTENT)
    destination = tmp_path / "copy"

    size = await store.download_to(
        KEY, destination, sha256=hashlib.sha256(LARGE_CONTENT).hexdigest()
    )

    assert size == len(LARGE_CONTENT)
    assert destination.read_bytes() == LARGE_CONTENT
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600


async def test_download_to_wrong_sha256_rejected(
    store: S3ObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, LARGE_CONTENT)

    with pytest.raises(ObjectIntegrityError, match="SHA-256"):
        await store.download_to(KEY, tmp_path / "copy", sha256="0" * 64)


async def test_iter_chunks_replaced_object_rejected(
    store: S3ObjectStore, s3: Any
) -> None:
    await store.put(KEY, LARGE_CONTENT)
    stored_digest = hashlib.sha256(LARGE_CONTENT).hexdigest()
    # Another writer replaces the object but keeps the old digest in its metadata.
    await s3.put_object(
        Bucket=_bucket(store),
        Key=f"{PREFIX}/{KEY}",
        Body=LARGE_CONTENT[:-1],
        Metadata={"sha256": stored_digest},
    )

    with pytest.raises(ObjectIntegrityError, match="SHA-256"):
        async for _chunk in store.iter_chunks(KEY):
            pass


async def test_iter_chunks_missing_object_not_found(store: S3ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        async for _chunk in store.iter_chunks(KEY):
            pass
