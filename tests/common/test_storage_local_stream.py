"""Streaming reads of `LocalObjectStore`: chunked decryption and tamper detection."""

import base64
import json
import os
import secrets
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from recon_common.storage import ObjectIntegrityError, ObjectNotFound
from recon_common.storage.encrypted_file import MAGIC_V1, TAG_BYTES
from recon_common.storage.local import LocalObjectStore

from tests.common.test_storage_local import BANK_ID, WrappingKeyProvider

KEY = "landed/2026-12-04/statement.xml"
CHUNK_BYTES = 1024
# Ten full chunks and one of 100 bytes.
CONTENT = secrets.token_bytes(10 * CHUNK_BYTES + 100)


@pytest.fixture
def keys() -> WrappingKeyProvider:
    return WrappingKeyProvider()


@pytest.fixture
def store(tmp_path: Path, keys: WrappingKeyProvider) -> LocalObjectStore:
    return LocalObjectStore(
        root=tmp_path / "objects", bank_id=BANK_ID, keys=keys, chunk_bytes=CHUNK_BYTES
    )


def _object_path(tmp_path: Path, key: str = KEY) -> Path:
    return tmp_path / "objects" / BANK_ID / "standard" / f"{key}.obj"


def _meta_path(tmp_path: Path, key: str = KEY) -> Path:
    return tmp_path / "objects" / BANK_ID / "standard" / f"{key}.meta.json"


def _split(blob: bytes) -> tuple[bytes, list[bytes]]:
    """Return the magic and header lines, and the records of a version 2 object."""
    magic, header, body = blob.split(b"\n", 2)
    size = CHUNK_BYTES + TAG_BYTES
    records = [body[start : start + size] for start in range(0, len(body), size)]
    return magic + b"\n" + header + b"\n", records


async def _read_all(store: LocalObjectStore, key: str = KEY) -> list[bytes]:
    return [chunk async for chunk in store.iter_chunks(key)]


async def test_iter_chunks_yields_content_in_chunks(store: LocalObjectStore) -> None:
    await store.put(KEY, CONTENT)

    chunks = await _read_all(store)

    assert b"".join(chunks) == CONTENT
    assert len(chunks) == 11
    assert max(len(chunk) for chunk in chunks) == CHUNK_BYTES


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, 3 * CHUNK_BYTES])
async def test_iter_chunks_round_trip_sizes(store: LocalObjectStore, size: int) -> None:
    content = secrets.token_bytes(size)
    await store.put(KEY, content)

    chunks = await _read_all(store)

    assert b"".join(chunks) == content


async def test_get_reads_chunked_object(store: LocalObjectStore) -> None:
    await store.put(KEY, CONTENT)

    content = await store.get(KEY)

    assert content == CONTENT


async def test_download_to_writes_private_file(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, CONTENT)
    destination = tmp_path / "copy"

    size = await store.download_to(KEY, destination)

    assert size == len(CONTENT)
    assert destination.read_bytes() == CONTENT
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600


async def test_download_to_missing_object_not_found(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    with pytest.raises(ObjectNotFound):
        await store.download_to(KEY, tmp_path / "copy")


async def test_iter_chunks_changed_byte_rejected(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, CONTENT)
    path = _object_path(tmp_path)
    head, records = _split(path.read_bytes())
    changed = bytearray(records[3])
    changed[10] ^= 0x01
    records[3] = bytes(changed)
    os.chmod(path, 0o640)
    path.write_bytes(head + b"".join(records))
    read: list[bytes] = []

    with pytest.raises(ObjectIntegrityError, match="record 3 failed authentication"):
        async for chunk in store.iter_chunks(KEY):
            read.append(chunk)

    assert b"".join(read) == CONTENT[: 3 * CHUNK_BYTES]


@pytest.mark.parametrize(
    "edit",
    [
        "cut_at_record_boundary",
        "cut_inside_record",
        "swap_records",
        "append_copy_of_last_record",
        "drop_every_record",
        "drop_middle_record",
    ],
)
async def test_iter_chunks_truncated_or_reordered_rejected(
    store: LocalObjectStore, tmp_path: Path, edit: str
) -> None:
    await store.put(KEY, CONTENT)
    path = _object_path(tmp_path)
    head, records = _split(path.read_bytes())
    edited = {
        "cut_at_record_boundary": records[:-1],
        "cut_inside_record": [*records[:-1], records[-1][:-5]],
        "swap_records": [records[1], records[0], *records[2:]],
        "append_copy_of_last_record": [*records, records[-1]],
        "drop_every_record": [],
        "drop_middle_record": [*records[:4], *records[5:]],
    }[edit]
    os.chmod(path, 0o640)
    path.write_bytes(head + b"".join(edited))
    # Without the metadata there is no SHA-256 to compare, so only the records'
    # authentication can find the change.
    _meta_path(tmp_path).unlink()

    with pytest.raises(ObjectIntegrityError, match="failed authentication|no records"):
        await _read_all(store)


async def test_iter_chunks_edited_header_rejected(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, CONTENT)
    path = _object_path(tmp_path)
    magic, header_line, body = path.read_bytes().split(b"\n", 2)
    header = json.loads(header_line)
    header["key_id"] = "another-key"
    os.chmod(path, 0o640)
    path.write_bytes(magic + b"\n" + json.dumps(header).encode() + b"\n" + body)

    with pytest.raises(ObjectIntegrityError, match="record 0 failed authentication"):
        await _read_all(store)


async def test_iter_chunks_wrong_sha256_rejected(store: LocalObjectStore) -> None:
    await store.put(KEY, CONTENT)

    with pytest.raises(ObjectIntegrityError, match="SHA-256"):
        async for _chunk in store.iter_chunks(KEY, sha256="0" * 64):
            pass


async def test_iter_chunks_checks_stored_sha256(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    await store.put(KEY, CONTENT)
    meta_path = tmp_path / "objects" / BANK_ID / "standard" / f"{KEY}.meta.json"
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = "f" * 64
    os.chmod(meta_path, 0o640)
    meta_path.write_text(json.dumps(meta))

    with pytest.raises(ObjectIntegrityError, match="SHA-256"):
        await store.get(KEY)


async def test_version_1_object_still_read(
    store: LocalObjectStore, keys: WrappingKeyProvider, tmp_path: Path
) -> None:
    await store.put(KEY, b"placeholder")
    context = {"bank_id": BANK_ID, "object_key": KEY}
    data_key = await keys.generate_data_key(context=context)
    nonce = secrets.token_bytes(12)
    associated = json.dumps(context, sort_keys=True).encode()
    ciphertext = AESGCM(data_key.plaintext).encrypt(nonce, CONTENT, associated)
    header = {
        "key_id": data_key.key_id,
        "wrapped_key": data_key.wrapped,
        "nonce": base64.b64encode(nonce).decode(),
        "context": context,
    }
    path = _object_path(tmp_path)
    os.chmod(path, 0o640)
    path.write_bytes(MAGIC_V1 + json.dumps(header).encode() + b"\n" + ciphertext)
    meta_path = tmp_path / "objects" / BANK_ID / "standard" / f"{KEY}.meta.json"
    os.chmod(meta_path, 0o640)
    meta_path.unlink()

    chunks = await _read_all(store)

    assert b"".join(chunks) == CONTENT
    assert len(chunks) == 1


async def test_version_1_changed_byte_rejected(
    store: LocalObjectStore, keys: WrappingKeyProvider, tmp_path: Path
) -> None:
    context = {"bank_id": BANK_ID, "object_key": KEY}
    data_key = await keys.generate_data_key(context=context)
    nonce = secrets.token_bytes(12)
    associated = json.dumps(context, sort_keys=True).encode()
    ciphertext = bytearray(
        AESGCM(data_key.plaintext).encrypt(nonce, CONTENT, associated)
    )
    ciphertext[5] ^= 0x01
    header = {
        "key_id": data_key.key_id,
        "wrapped_key": data_key.wrapped,
        "nonce": base64.b64encode(nonce).decode(),
        "context": context,
    }
    path = _object_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(MAGIC_V1 + json.dumps(header).encode() + b"\n" + ciphertext)

    with pytest.raises(ObjectIntegrityError, match="failed authentication"):
        await store.get(KEY)
