import codecs

import pytest
from recon_ingest.parsers import ParseRejected, ParseSettings

from .support import parse_bytes

STATEMENT = """:20:ENC
:25:12345
:60F:C240301EUR0,00
:61:2403010301C5,00NTRFNONREF
:86:{text}
:62F:C240301EUR5,00
"""


def statement_bytes(text: str, encoding: str) -> bytes:
    """Return a one-entry MT940 statement whose :86: is `text` in `encoding`."""
    return STATEMENT.format(text=text).encode(encoding)


def test_encoding_utf8_with_bom() -> None:
    data = codecs.BOM_UTF8 + statement_bytes("Überweisung Müller", "utf-8")

    result = parse_bytes(data)

    assert result.encoding == "utf-8-sig"
    assert result.transactions[0].remittance_info == "Überweisung Müller"


def test_encoding_utf8_without_bom() -> None:
    data = statement_bytes("Überweisung Müller", "utf-8")

    result = parse_bytes(data)

    assert result.encoding == "utf-8"
    assert result.transactions[0].remittance_info == "Überweisung Müller"


def test_encoding_ascii() -> None:
    result = parse_bytes(statement_bytes("plain text", "ascii"))

    assert result.encoding == "ascii"


def test_encoding_windows_1252_detected() -> None:
    data = statement_bytes("That’s the café bill – €12", "windows-1252")

    result = parse_bytes(data)

    assert result.encoding == "windows-1252"
    assert result.transactions[0].remittance_info == "That’s the café bill – €12"


def test_encoding_iso_8859_1_detected() -> None:
    data = statement_bytes("ÜBERWEISUNG Müstermann GmbH", "iso-8859-1")

    result = parse_bytes(data)

    assert result.encoding == "iso-8859-1"
    assert result.transactions[0].remittance_info == "ÜBERWEISUNG Müstermann GmbH"


def test_encoding_cp852_detected() -> None:
    text = "Bankon belüli átutalás, napi összevont utánvét"
    data = statement_bytes(text, "cp852")

    result = parse_bytes(data)

    assert result.encoding == "cp852"
    assert result.transactions[0].remittance_info == text


def test_encoding_undetectable_rejected() -> None:
    data = (
        STATEMENT.format(text="code ")
        .encode("ascii")
        .replace(b"code ", b"code \xb0\xb1\xb2 x")
    )

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data)

    assert "cannot be determined" in error.value.reason
    assert "configure the encoding" in error.value.reason


def test_encoding_configured_is_used() -> None:
    data = statement_bytes("Díj, jutalék", "cp852")

    result = parse_bytes(data, settings=ParseSettings(encoding="cp852"))

    assert result.encoding == "cp852"
    assert result.transactions[0].remittance_info == "Díj, jutalék"


def test_encoding_configured_utf8_invalid_bytes_rejected() -> None:
    data = statement_bytes("Müller", "iso-8859-1")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, settings=ParseSettings(encoding="utf-8"))

    assert error.value.reason.startswith("line 5: byte 0xfc is not valid utf-8")


def test_encoding_unknown_codec_rejected() -> None:
    with pytest.raises(ParseRejected) as error:
        parse_bytes(b":20:X\n", settings=ParseSettings(encoding="no-such-codec"))

    assert error.value.reason == "unknown encoding 'no-such-codec' configured"


def test_encoding_replacement_characters_warned() -> None:
    data = statement_bytes("Tranzakci\ufffds", "utf-8")

    result = parse_bytes(data)

    assert "U+FFFD" in result.warnings[0]


def test_line_length_limit() -> None:
    data = statement_bytes("x" * 200, "ascii")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, settings=ParseSettings(max_line_chars=100))

    assert error.value.reason.startswith("line 5: 204 characters exceeds the limit")


def test_file_size_limit() -> None:
    data = statement_bytes("text", "ascii")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, settings=ParseSettings(max_file_bytes=10))

    assert "(max_file_bytes)" in error.value.reason


def test_entry_count_limit() -> None:
    data = statement_bytes("text", "ascii")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, settings=ParseSettings(max_entries=0))

    assert error.value.reason == "line 4: more than 0 entries (max_entries)"
