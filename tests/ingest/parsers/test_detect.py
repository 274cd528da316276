import codecs
from pathlib import Path

import pytest
from recon_ingest.parsers import ParseRejected, detect_format, detect_path_format


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b":20:X\r\n:25:1\r\n:60F:C240301EUR0,\r\n", "a.sta", "mt940"),
        (b"{1:F01X}{2:O942X}{4:\r\n:20:X\r\n", "a.fin", "mt942"),
        (b":20:X\n:25:1\n:34F:EUR0,\n:13D:2403010800+0100\n", "a.txt", "mt942"),
        (b"\xc3\xa44:\n:20:X\n:25:1\n", "a.txt", "mt940"),
        (b"01,S,R,240301,0800,1,,,2/\n02,R,B,1,240301,,USD,2/\n", "a.txt", "bai2"),
        (b"a,b\n1,2\n", "a.csv", "csv"),
        (b"a;b;c\n1;2;3\n4;5;6\n", "export.dat", "csv"),
        (
            b"\xef\xbb\xbf<?xml version='1.0'?><Document><BkToCstmrStmt>",
            "a",
            "camt.053",
        ),
    ],
)
def test_detect_format_kinds(data: bytes, filename: str, expected: str) -> None:
    assert detect_format(data, filename) == expected


def test_detect_unknown_content_rejected() -> None:
    with pytest.raises(ParseRejected) as error:
        detect_format(b"0000002011520005D  SA XXXX MARKET\n", "coda.txt")

    assert error.value.reason.startswith("unknown content in 'coda.txt'")


def test_detect_other_xml_rejected() -> None:
    with pytest.raises(ParseRejected) as error:
        detect_format(b"<Document><CstmrCdtTrfInitn/></Document>", "pain.xml")

    assert "not camt.052, camt.053 or camt.054" in error.value.reason


def test_detect_mt941_rejected() -> None:
    with pytest.raises(ParseRejected) as error:
        detect_format(b"{1:F01X}{2:O941X}{4:\n:20:X\n", "a.fin")

    assert error.value.reason.startswith("SWIFT MT941 is not supported")


SEMICOLON_CSV = "Buchungstag;Betrag;Waehrung\n17.10.2013;-620,30;EUR\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (SEMICOLON_CSV.encode("utf-8"), "csv"),
        (codecs.BOM_UTF16_LE + SEMICOLON_CSV.encode("utf-16-le"), "csv"),
        (codecs.BOM_UTF16_LE + SEMICOLON_CSV.encode("utf-16-le")[:-1], "csv"),
        (codecs.BOM_UTF32_BE + ":20:X\n:25:1\n".encode("utf-32-be"), "mt940"),
    ],
    ids=["utf-8", "utf-16", "utf-16-cut-off", "utf-32"],
)
def test_detect_path_format_kinds(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "landed"
    path.write_bytes(data)

    detected = detect_path_format(path, filename="export.dat")

    assert detected == expected


def test_detect_path_format_large_wide_file(tmp_path: Path) -> None:
    row = "17.10.2013;-620,30;EUR\n"
    text = SEMICOLON_CSV + row * (2 * 1024 * 1024 // len(row))
    path = tmp_path / "landed"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    detected = detect_path_format(path, filename="export.dat")

    assert detected == "csv"


def test_detect_path_format_blank_wide_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + " \r\n".encode("utf-16-le"))

    with pytest.raises(ParseRejected) as error:
        detect_path_format(path)

    assert "'blank.csv' contains only whitespace (8 bytes)" in error.value.reason
