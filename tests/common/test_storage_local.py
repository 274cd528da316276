"""Tests for `LocalObjectStore`: encryption at rest, retention rules and archiving."""

import base64
import json
import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from recon_common.errors import InvalidRequest
from recon_common.keyvault_client import DataKey
from recon_common.storage import (
    ObjectNotFound,
    Retention,
    RetentionMode,
    RetentionViolation,
)
from recon_common.storage.local import LocalObjectStore

BANK_ID = "bank-a"
KEY = "landed/2026-12-04/statement.mt940"
CONTENT = b":20:STATEMENT-1\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n"


class WrappingKeyProvider:
    """Envelope data keys wrapped with AES-256-GCM under the instance's own key.

    A test double of the key broker's contract (`generate_data_key` and
    `decrypt_data_key` with an encryption context). It is acceptable here because the
    key broker has its own tests, including `LocalObjectStore` over real HTTP. The
    context is bound to the wrapped key as associated data, as the broker does.
    """

    def __init__(self) -> None:
        self._key_encryption_key = AESGCM.generate_key(bit_length=256)
        self.generated = 0

    async def generate_data_key(self, *, context: dict[str, str]) -> DataKey:
        """Return a fresh data key and its wrapped form bound to `context`."""
        plaintext = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(12)
        wrapped = AESGCM(self._key_encryption_key).encrypt(
            nonce, plaintext, _associated(context)
        )
        self.generated += 1
        return DataKey(
            key_id="test-key-1",
            plaintext=plaintext,
            wrapped=base64.b64encode(nonce + wrapped).decode(),
        )

    async def decrypt_data_key(self, *, wrapped: str, context: dict[str, str]) -> bytes:
        """Return the plaintext data key, or raise InvalidTag if `context` differs."""
        raw = base64.b64decode(wrapped)
        return AESGCM(self._key_encryption_key).decrypt(
            raw[:12], raw[12:], _associated(context)
        )


def _associated(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True).encode()


def _retention(days: int, mode: RetentionMode = RetentionMode.COMPLIANCE) -> Retention:
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return Retention(mode=mode, retain_until=until)


@pytest.fixture
def keys() -> WrappingKeyProvider:
    """Return a key provider with a fresh key-encryption key."""
    return WrappingKeyProvider()


@pytest.fixture
def store(tmp_path: Path, keys: WrappingKeyProvider) -> LocalObjectStore:
    """Return a local store rooted in the test's folder."""
    return LocalObjectStore(root=tmp_path / "objects", bank_id=BANK_ID, keys=keys)


def _files(tmp_path: Path) -> list[Path]:
    return [path for path in (tmp_path / "objects").rglob("*") if path.is_file()]


async def test_local_store_round_trip(store: LocalObjectStore) -> None:
    await store.put(KEY, CONTENT)

    content = await store.get(KEY)

    assert content == CONTENT


async def test_local_store_put_returns_info(store: LocalObjectStore) -> None:
    info = await store.put(KEY, CONTENT)

    head = await store.head(KEY)

    assert head == info
    assert head.size_bytes == len(CONTENT)
    assert head.storage_class == "STANDARD"
    assert head.retention is None


async def test_local_store_file_has_no_plaintext(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, CONTENT)

    files = _files(tmp_path)

    assert len(files) == 2
    for path in files:
        assert b"DE89370400440532013000" not in path.read_bytes()
        assert b":20:STATEMENT-1" not in path.read_bytes()


async def test_local_store_new_data_key_per_put(
    store: LocalObjectStore, keys: WrappingKeyProvider
) -> None:
    await store.put(KEY, CONTENT)
    await store.put("landed/other.mt940", CONTENT)

    assert keys.generated == 2


async def test_local_store_missing_object_not_found(store: LocalObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        await store.get(KEY)
    with pytest.raises(ObjectNotFound):
        await store.head(KEY)
    with pytest.raises(ObjectNotFound):
        await store.delete(KEY)
    with pytest.raises(ObjectNotFound):
        await store.set_retention(KEY, _retention(1))


async def test_local_store_unretained_overwrite_and_delete(
    store: LocalObjectStore,
) -> None:
    await store.put(KEY, CONTENT)

    await store.put(KEY, b"replaced")
    replaced = await store.get(KEY)
    await store.delete(KEY)

    assert replaced == b"replaced"
    with pytest.raises(ObjectNotFound):
        await store.get(KEY)


async def test_local_store_compliance_overwrite_rejected(
    store: LocalObjectStore,
) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))

    with pytest.raises(RetentionViolation, match="cannot be overwritten"):
        await store.put(KEY, b"replaced")

    assert await store.get(KEY) == CONTENT


async def test_local_store_compliance_delete_rejected(store: LocalObjectStore) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))

    with pytest.raises(RetentionViolation, match="cannot be deleted"):
        await store.delete(KEY)

    assert await store.get(KEY) == CONTENT


async def test_local_store_expired_retention_allows_delete(
    store: LocalObjectStore,
) -> None:
    await store.put(KEY, CONTENT, retention=_retention(-1))

    await store.delete(KEY)

    with pytest.raises(ObjectNotFound):
        await store.head(KEY)


async def test_local_store_retention_extended(store: LocalObjectStore) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))
    longer = _retention(60)

    await store.set_retention(KEY, longer)

    head = await store.head(KEY)
    assert head.retention == longer


async def test_local_store_retention_shortening_rejected(
    store: LocalObjectStore,
) -> None:
    original = _retention(30)
    await store.put(KEY, CONTENT, retention=original)

    with pytest.raises(RetentionViolation, match="extended but not shortened"):
        await store.set_retention(KEY, _retention(10))

    head = await store.head(KEY)
    assert head.retention == original


async def test_local_store_retention_governance_switch_rejected(
    store: LocalObjectStore,
) -> None:
    original = _retention(30)
    await store.put(KEY, CONTENT, retention=original)

    with pytest.raises(RetentionViolation, match="mode cannot be changed"):
        await store.set_retention(KEY, _retention(60, RetentionMode.GOVERNANCE))

    head = await store.head(KEY)
    assert head.retention == original


async def test_local_store_governance_can_be_shortened(
    store: LocalObjectStore,
) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30, RetentionMode.GOVERNANCE))
    shorter = _retention(1, RetentionMode.GOVERNANCE)

    await store.set_retention(KEY, shorter)

    head = await store.head(KEY)
    assert head.retention == shorter


async def test_local_store_copy_under_other_key_rejected(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, CONTENT)
    folder = tmp_path / "objects" / BANK_ID / "standard" / "landed" / "2026-12-04"
    shutil.copy(folder / "statement.mt940.obj", folder / "copy.mt940.obj")
    shutil.copy(folder / "statement.mt940.meta.json", folder / "copy.mt940.meta.json")

    with pytest.raises(InvalidRequest, match="encrypted for another key or bank"):
        await store.get("landed/2026-12-04/copy.mt940")


async def test_local_store_copy_with_edited_header_fails_decryption(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, CONTENT)
    folder = tmp_path / "objects" / BANK_ID / "standard" / "landed" / "2026-12-04"
    blob = (folder / "statement.mt940.obj").read_bytes()
    magic, header_line, ciphertext = blob.split(b"\n", 2)
    header = json.loads(header_line)
    header["context"]["object_key"] = "landed/2026-12-04/copy.mt940"
    forged = magic + b"\n" + json.dumps(header).encode() + b"\n" + ciphertext
    (folder / "copy.mt940.obj").write_bytes(forged)

    with pytest.raises(InvalidTag):
        await store.get("landed/2026-12-04/copy.mt940")


async def test_local_store_other_bank_cannot_read(
    tmp_path: Path, keys: WrappingKeyProvider
) -> None:
    bank_a = LocalObjectStore(root=tmp_path / "objects", bank_id=BANK_ID, keys=keys)
    bank_b = LocalObjectStore(root=tmp_path / "objects", bank_id="bank-b", keys=keys)
    await bank_a.put(KEY, CONTENT)
    source = tmp_path / "objects" / BANK_ID
    shutil.copytree(source, tmp_path / "objects" / "bank-b", dirs_exist_ok=True)

    with pytest.raises(InvalidRequest, match="encrypted for another key or bank"):
        await bank_b.get(KEY)


async def test_local_store_archive_moves_objects(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    retention = _retention(30)
    await store.put(KEY, CONTENT, retention=retention)
    await store.put("landed/second.mt940", b"second")

    moved = await store.archive_older_than(timedelta(0))

    head = await store.head(KEY)
    bank_root = tmp_path / "objects" / BANK_ID
    assert moved == 2
    assert head.storage_class == "ARCHIVE"
    assert head.retention == retention
    assert (bank_root / "archive" / f"{KEY}.obj").exists()
    assert not (bank_root / "standard" / f"{KEY}.obj").exists()
    assert not (bank_root / "standard" / f"{KEY}.meta.json").exists()
    assert await store.get(KEY) == CONTENT
    assert await store.get("landed/second.mt940") == b"second"


async def test_local_store_archive_skips_recent_objects(
    store: LocalObjectStore,
) -> None:
    await store.put(KEY, CONTENT)

    moved = await store.archive_older_than()

    head = await store.head(KEY)
    assert moved == 0
    assert head.storage_class == "STANDARD"


async def test_local_store_archived_object_keeps_retention_rules(
    store: LocalObjectStore,
) -> None:
    await store.put(KEY, CONTENT, retention=_retention(30))
    await store.archive_older_than(timedelta(0))

    with pytest.raises(RetentionViolation):
        await store.delete(KEY)
    with pytest.raises(RetentionViolation):
        await store.put(KEY, b"replaced")

    assert await store.get(KEY) == CONTENT


async def test_local_store_archive_twice_moves_nothing(
    store: LocalObjectStore,
) -> None:
    await store.put(KEY, CONTENT)
    await store.archive_older_than(timedelta(0))

    moved = await store.archive_older_than(timedelta(0))

    assert moved == 0


@pytest.mark.parametrize(
    "key", ["../x", "/abs", "a/../../x", "landed/../../bank-b/x", "a\\..\\x", ""]
)
async def test_local_store_traversal_key_rejected(
    store: LocalObjectStore, key: str
) -> None:
    with pytest.raises(InvalidRequest, match="invalid object key"):
        await store.put(key, CONTENT)
    with pytest.raises(InvalidRequest, match="invalid object key"):
        await store.get(key)
    with pytest.raises(InvalidRequest, match="invalid object key"):
        await store.delete(key)
