"""Recognize the format of a statement file from its first bytes."""

import re
from pathlib import PurePath

from recon_ingest.parsers.model import ParseRejected

FORMATS = (
    "mt940",
    "mt942",
    "mt950",
    "camt.053",
    "camt.052",
    "camt.054",
    "csv",
    "bai2",
    "xlsx",
)

_HEAD_BYTES = 1024 * 1024
_CAMT_ROOT = re.compile(
    rb"<(?:[\w.-]+:)?(BkToCstmrStmt|BkToCstmrAcctRpt|BkToCstmrDbtCdtNtfctn)"
    rb"(?:V\d\d)?[\s/>]"
)
_CAMT_FORMAT = {
    b"BkToCstmrStmt": "camt.053",
    b"BkToCstmrAcctRpt": "camt.052",
    b"BkToCstmrDbtCdtNtfctn": "camt.054",
}
_MT_TYPE = re.compile(r"\{2:[IO](\d{3})")
_MT_TAG = re.compile(r"^(?:\{4:|ä4:)?:(?:20|25|28C?|60[FM]|61|62[FM]):", re.MULTILINE)
_MT942_TAG = re.compile(r"^:(?:34F|13D|90[DC]):", re.MULTILINE)
_MT_TYPES = {"940": "mt940", "942": "mt942", "950": "mt950"}
_CSV_SEPARATORS = (",", ";", "\t", "|")
_CSV_SUFFIXES = {".csv", ".tsv"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A UTF-8 BOM and whitespace, which may precede the first tag or record.
_BLANK_BYTES = b"\xef\xbb\xbf \t\r\n"


def detect_format(data: bytes, filename: str, *, size: int | None = None) -> str:
    """Return the statement format of `data`, or raise ParseRejected.

    `size` is the size of the whole file when `data` is only its first bytes.
    """
    head = data[:_HEAD_BYTES]
    file_size = len(data) if size is None else size
    if file_size <= len(head):
        # Only a file that fits in `head` is known to hold nothing but whitespace.
        reject_blank(head, filename, size=file_size)
    start = head.lstrip(_BLANK_BYTES)
    suffix = PurePath(filename).suffix.lower()
    if start.startswith(b"PK\x03\x04"):
        if suffix in {".xlsx", ".xlsm"}:
            return "xlsx"
        raise ParseRejected("ZIP archive is not an .xlsx workbook; unpack it first")
    if start.startswith(b"<"):
        return _detect_xml(head)
    # Bytes above 0x7f cannot form tags, so Latin-1 reads any 8-bit encoding here.
    text = head.decode("latin-1")
    mt_format = _detect_mt(text)
    if mt_format is not None:
        return mt_format
    if start.startswith(b"01,"):
        return "bai2"
    if suffix in _CSV_SUFFIXES or _looks_delimited(text):
        return "csv"
    reason = (
        f"unknown content in {filename!r}: not SWIFT MT940/MT942/MT950, "
        "camt.052/053/054 XML, BAI2, CSV or .xlsx"
    )
    if b"\x00" in head:
        reason += (
            "; it contains NUL bytes, so it may be UTF-16 or UTF-32 text without a "
            "byte order mark: configure the encoding (INGEST_ENCODING, for example "
            "utf-16-le) if so"
        )
    raise ParseRejected(reason)


def reject_blank(data: bytes, filename: str, *, size: int) -> None:
    """Raise ParseRejected if the file is empty or its content `data` is whitespace.

    `size` is the file's size in bytes, before `data` was transcoded to UTF-8.
    """
    if size == 0:
        raise ParseRejected(
            f"{filename!r} is empty (0 bytes); ask the sender to deliver the file "
            "again with its statements or ledger entries"
        )
    if data.lstrip(_BLANK_BYTES):
        return
    raise ParseRejected(
        f"{filename!r} contains only whitespace ({size} bytes); ask the sender to "
        "deliver the file again with its statements or ledger entries"
    )


def _detect_xml(head: bytes) -> str:
    found = _CAMT_ROOT.search(head)
    if found is None:
        raise ParseRejected(
            "XML document has no BkToCstmrStmt, BkToCstmrAcctRpt or "
            "BkToCstmrDbtCdtNtfctn element, so it is not camt.052, camt.053 or camt.054"
        )
    return _CAMT_FORMAT[found.group(1)]


def _detect_mt(text: str) -> str | None:
    declared = _MT_TYPE.search(text)
    if declared is not None:
        message_type = declared.group(1)
        if message_type not in _MT_TYPES:
            raise ParseRejected(
                f"SWIFT MT{message_type} is not supported; expected MT940, MT942 "
                "or MT950"
            )
        return _MT_TYPES[message_type]
    if _MT_TAG.search(text) is None:
        return None
    return "mt942" if _MT942_TAG.search(text) else "mt940"


def _looks_delimited(text: str) -> bool:
    # Only CR and LF end a line here: the Latin-1 view of UTF-8 text contains
    # U+0085 for the second byte of letters such as "Å", and splitlines() would
    # split there.
    lines = [line for line in _LINE_BREAK.split(text, maxsplit=20)[:20] if line.strip()]
    if len(lines) < 2:
        return False
    for separator in _CSV_SEPARATORS:
        counts = {line.count(separator) for line in lines[-min(5, len(lines)) :]}
        if len(counts) == 1 and counts.pop() > 0:
            return True
    return False
