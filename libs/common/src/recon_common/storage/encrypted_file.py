"""The file format of the local backend's encrypted objects, in two versions.

Version 2 (`RECON-ENC-2`, written by every `put`) is a chunked AEAD stream, so an
object can be decrypted and checked chunk by chunk in flat memory:

    RECON-ENC-2\\n
    <header>\\n     JSON: key_id, wrapped_key, context, nonce_prefix, chunk_size
    record 0 | record 1 | ... | record n-1

The plaintext is cut into chunks of `chunk_size` bytes, and only the last chunk may be
shorter (or empty, for empty content). Record i is the AES-256-GCM ciphertext of chunk
i followed by its 16-byte tag. Its 12-byte nonce is the header's random 7-byte prefix,
then i as a 4-byte big-endian counter, then one byte that is 1 for the last record and
0 for the others. The associated data of every record is the header line as stored.
So a changed byte fails its record's tag, and so does a record moved to another
position (other counter). A file cut at a record boundary fails too, because its
new last record was sealed as not-last, and so does a file with records appended
after the last one. An edited header fails every record.

Version 1 (`RECON-ENC-1`, written before chunking existed) is one AES-256-GCM
ciphertext of the whole content under the header's `nonce`, with the JSON of the
encryption context (sorted keys) as associated data. It is still read, but only
whole, so reading it takes memory for the whole object.
"""

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recon_common.errors import InvalidRequest
from recon_common.storage.base import STREAM_CHUNK_BYTES, ObjectIntegrityError

MAGIC_V1 = b"RECON-ENC-1\n"
MAGIC_V2 = b"RECON-ENC-2\n"
TAG_BYTES = 16
_NONCE_PREFIX_BYTES = 7
# The counter is 4 bytes, so one object has at most 2**32 records.
_MAX_RECORDS = 2**32
# Limits checked before a header's values are used, since the header is only
# authenticated once the first record has been read with it.
MAX_CHUNK_BYTES = 16 * 1024 * 1024
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Header:
    """The parsed header line of an encrypted object and the line as stored."""

    version: int
    line: bytes
    fields: dict[str, Any]

    @property
    def context(self) -> Any:
        """The encryption context the object was written for."""
        return self.fields.get("context")

    @property
    def wrapped_key(self) -> str:
        """The data key, wrapped by the bank's key."""
        return str(self.fields["wrapped_key"])


def encrypt(
    data: bytes,
    *,
    data_key: bytes,
    key_id: str,
    wrapped_key: str,
    context: dict[str, str],
    chunk_bytes: int = STREAM_CHUNK_BYTES,
) -> bytes:
    """Return `data` encrypted in the version 2 format."""
    check_chunk_bytes(chunk_bytes)
    prefix = secrets.token_bytes(_NONCE_PREFIX_BYTES)
    header = {
        "key_id": key_id,
        "wrapped_key": wrapped_key,
        "context": context,
        "nonce_prefix": base64.b64encode(prefix).decode(),
        "chunk_size": chunk_bytes,
    }
    line = json.dumps(header).encode()
    cipher = AESGCM(data_key)
    view = memoryview(data)
    record_count = max(1, -(-len(data) // chunk_bytes))
    if record_count > _MAX_RECORDS:
        raise ValueError(
            f"content of {len(data)} bytes needs more than {_MAX_RECORDS} records "
            f"of {chunk_bytes} bytes; use a larger chunk size"
        )
    records = [
        cipher.encrypt(
            _nonce(prefix, index, last=index == record_count - 1),
            view[index * chunk_bytes : (index + 1) * chunk_bytes],
            line,
        )
        for index in range(record_count)
    ]
    return b"".join([MAGIC_V2, line, b"\n", *records])


def check_chunk_bytes(chunk_bytes: int) -> None:
    """Raise ValueError unless `chunk_bytes` is a usable chunk size."""
    if not 1 <= chunk_bytes <= MAX_CHUNK_BYTES:
        raise ValueError(
            f"chunk size {chunk_bytes} is outside 1 to {MAX_CHUNK_BYTES} bytes"
        )


def read_header(stream: BinaryIO, *, key: str) -> Header:
    """Read the magic and header line from the start of `stream`."""
    magic = stream.read(len(MAGIC_V2))
    versions = {MAGIC_V1: 1, MAGIC_V2: 2}
    if magic not in versions:
        raise InvalidRequest(f"object {key!r} is not an encrypted object of this store")
    line = stream.readline(_MAX_HEADER_BYTES)
    if not line.endswith(b"\n"):
        raise InvalidRequest(
            f"object {key!r} has no complete header line in its first "
            f"{_MAX_HEADER_BYTES} bytes"
        )
    line = line[:-1]
    try:
        fields = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"object {key!r} has an invalid header: {exc}") from None
    if not isinstance(fields, dict):
        raise InvalidRequest(f"object {key!r} has a header that is not a JSON object")
    return Header(version=versions[magic], line=line, fields=fields)


class ChunkDecryptor:
    """Decrypt the records of a version 2 object one chunk at a time."""

    def __init__(
        self, stream: BinaryIO, *, header: Header, data_key: bytes, key: str
    ) -> None:
        try:
            prefix = base64.b64decode(header.fields["nonce_prefix"], validate=True)
            chunk_bytes = int(header.fields["chunk_size"])
            check_chunk_bytes(chunk_bytes)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRequest(
                f"object {key!r} has an invalid version 2 header: {exc}"
            ) from None
        if len(prefix) != _NONCE_PREFIX_BYTES:
            raise InvalidRequest(
                f"object {key!r} has a nonce prefix of {len(prefix)} bytes, "
                f"expected {_NONCE_PREFIX_BYTES}"
            )
        self._stream = stream
        self._cipher = AESGCM(data_key)
        self._associated = header.line
        self._prefix = prefix
        self._record_bytes = chunk_bytes + TAG_BYTES
        self._key = key
        self._index = 0
        self._finished = False
        self._pending = stream.read(self._record_bytes)
        if not self._pending:
            raise ObjectIntegrityError(
                f"object {key!r} has a header but no records; the file was truncated"
            )

    def read_chunk(self) -> bytes | None:
        """Return the next plaintext chunk, or None after the last one."""
        if self._finished:
            return None
        record = self._pending
        if len(record) < self._record_bytes:
            # A short read only happens at the end of a regular file.
            self._pending = b""
        else:
            self._pending = self._stream.read(self._record_bytes)
        last = not self._pending
        if self._index >= _MAX_RECORDS:
            raise ObjectIntegrityError(
                f"object {self._key!r} has more than {_MAX_RECORDS} records"
            )
        nonce = _nonce(self._prefix, self._index, last=last)
        try:
            chunk = self._cipher.decrypt(nonce, record, self._associated)
        except InvalidTag:
            raise ObjectIntegrityError(
                f"object {self._key!r}: record {self._index} failed authentication; "
                "the file was changed, reordered or truncated"
            ) from None
        self._index += 1
        self._finished = last
        return chunk


def decrypt_v1(
    stream: BinaryIO,
    *,
    header: Header,
    data_key: bytes,
    context: dict[str, str],
    key: str,
) -> bytes:
    """Decrypt the rest of a version 1 object in one piece."""
    ciphertext = stream.read()
    associated = json.dumps(context, sort_keys=True).encode()
    try:
        nonce = base64.b64decode(header.fields["nonce"], validate=True)
    except (KeyError, ValueError) as exc:
        raise InvalidRequest(
            f"object {key!r} has an invalid version 1 header: {exc}"
        ) from None
    try:
        return AESGCM(data_key).decrypt(nonce, ciphertext, associated)
    except InvalidTag:
        raise ObjectIntegrityError(
            f"object {key!r} failed authentication; the file was changed or truncated"
        ) from None


def _nonce(prefix: bytes, index: int, *, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
