"""Recognize UTF-16 and UTF-32 files and transcode them to UTF-8 before parsing.

Format detection and the text parsers look for ASCII tags such as `:20:` or `01,`,
which UTF-16 hides behind NUL bytes. Excel's "Unicode text" export is UTF-16LE with
a byte order mark (BOM). A wide file is therefore recognized by its BOM, by the
configured encoding, or by the NUL bytes that ASCII text leaves in every second byte
of UTF-16 without a BOM. It is then decoded and encoded again as UTF-8, so the rest
of the parser reads ordinary UTF-8.
"""

import codecs

from recon_ingest.parsers.model import ParseRejected

# Longest BOM first, because the UTF-32LE BOM starts with the UTF-16LE BOM.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE_CODECS = frozenset(
    {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
)
# Bytes sampled for the NUL pattern of UTF-16 without a BOM.
_SAMPLE_BYTES = 4096
# In UTF-16LE text of ASCII characters every odd byte is NUL and no even byte is.
# These shares leave room for some non-Latin letters (whose high byte is not NUL) and
# still never match UTF-8 or 8-bit text, which has no NUL bytes at all.
_MIN_NUL_SHARE = 0.6
_MAX_OTHER_NUL_SHARE = 0.05
_ZIP_MAGIC = b"PK\x03\x04"


def wide_encoding(head: bytes, *, configured: str | None) -> str | None:
    """Return the UTF-16 or UTF-32 codec of a file from its first bytes, or None.

    A BOM decides over `configured`, because an 8-bit text never starts with one.
    A ZIP archive (an .xlsx workbook) is never wide.
    """
    if head.startswith(_ZIP_MAGIC):
        return None
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if configured is not None:
        try:
            configured_name = codecs.lookup(configured).name
        except LookupError:
            return None
        if configured_name in _WIDE_CODECS:
            return configured_name
        return None
    return _utf16_by_nul_pattern(head[:_SAMPLE_BYTES])


def transcode_to_utf8(data: bytes, *, encoding: str) -> bytes:
    """Decode `data` from the wide `encoding`, dropping a BOM, and return UTF-8."""
    bom = _bom_of(data, encoding)
    try:
        text = data[len(bom) :].decode(encoding)
    except UnicodeDecodeError as error:
        raise ParseRejected(
            _invalid_reason(error, encoding=encoding, bom=bom)
        ) from None
    return text.encode("utf-8")


def transcode_head(head: bytes, *, encoding: str) -> bytes:
    """Return as UTF-8 the whole characters of `head`, the first bytes of a wide file.

    A character cut off at the end of `head` is left out, because the rest of it
    follows in the bytes not read. Invalid bytes before it raise ParseRejected, as
    in `transcode_to_utf8`.
    """
    bom = _bom_of(head, encoding)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        text = decoder.decode(head[len(bom) :], final=False)
    except UnicodeDecodeError as error:
        raise ParseRejected(
            _invalid_reason(error, encoding=encoding, bom=bom)
        ) from None
    return text.encode("utf-8")


def _bom_of(data: bytes, encoding: str) -> bytes:
    """Return the BOM of `encoding` that starts `data`, or b"" if it has none."""
    bom = next((bom for bom, name in _BOMS if name == encoding), b"")
    return bom if bom and data.startswith(bom) else b""


def _invalid_reason(error: UnicodeDecodeError, *, encoding: str, bom: bytes) -> str:
    # The BOM decides the encoding over INGEST_ENCODING, so no setting can help a
    # file with a BOM. Such a file is damaged or incomplete.
    name = encoding.upper()
    position = error.start + len(bom)
    if bom:
        return (
            f"the file starts with a {name} byte order mark, but byte {position} is "
            f"not valid {name} ({error.reason}), so the file is damaged or cut "
            "off; ask the sender to deliver the complete file again"
        )
    return (
        f"the file looks like {name} text, but byte {position} is not valid "
        f"{name} ({error.reason}); ask the sender to deliver the file in UTF-8, "
        "or configure the encoding (INGEST_ENCODING) if the file is in another one"
    )


def _utf16_by_nul_pattern(sample: bytes) -> str | None:
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= _MIN_NUL_SHARE * pairs and even_nuls <= _MAX_OTHER_NUL_SHARE * pairs:
        return "utf-16-le"
    if even_nuls >= _MIN_NUL_SHARE * pairs and odd_nuls <= _MAX_OTHER_NUL_SHARE * pairs:
        return "utf-16-be"
    return None
