"""Files of an SFTP user whose `csv_profile` the profiles file does not define."""

import codecs
import io

import openpyxl
import pytest
from recon_common.db import session_scope
from recon_common.events import FileStatus
from recon_ingest.models import LandedFile

from .conftest import Ingest
from .ledgers import ledger_csv
from .statements import mt940

# A German bank export in a layout that the built-in `ledger` profile cannot read.
GERMAN_CSV = (
    "Buchungstag;Betrag;Waehrung;Konto;Referenz\n"
    "17.10.2013;-620,30;EUR;DE89370400440532013000;RE-4711\n"
    "17.10.2013;18500,00;EUR;DE89370400440532013000;RE-4712\n"
)


def german_workbook() -> bytes:
    """Return the German export as the first sheet of an .xlsx workbook."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for line in GERMAN_CSV.splitlines():
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _land_as_profile(ingest: Ingest, filename: str, data: bytes) -> LandedFile:
    row = await ingest.land(filename, data)
    async with session_scope(ingest.sessions) as session:
        stored = await session.get(LandedFile, row.file_id)
        assert stored is not None
        stored.csv_profile = "fr-bank"
    return await ingest.file(row.file_id)


def assert_setup_reason(row: LandedFile) -> None:
    assert row.status == FileStatus.REJECTED.value
    assert row.rejection_reason is not None
    assert "csv_profile 'fr-bank' is not defined" in row.rejection_reason
    assert "INGEST_CSV_PROFILES_FILE" in row.rejection_reason
    assert "header" not in row.rejection_reason


async def test_undefined_profile_rejects_csv(ingest: Ingest) -> None:
    row = await _land_as_profile(ingest, "ledger.csv", ledger_csv([1, 2]).encode())

    parsed = await ingest.parse(row)

    assert_setup_reason(parsed)
    published = await ingest.published(row.file_id)
    assert [payload["transactions"] for payload in published] == [[]]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("mystery.csv", GERMAN_CSV.encode("utf-8")),
        ("mystery.txt", GERMAN_CSV.encode("cp1252")),
        ("mystery.csv", codecs.BOM_UTF16_LE + GERMAN_CSV.encode("utf-16-le")),
        ("mystery.csv", GERMAN_CSV.encode("utf-16-le")),
    ],
    ids=["utf-8", "delimited-txt", "utf-16-bom", "utf-16-no-bom"],
)
async def test_undefined_profile_rejects_other_layout(
    ingest: Ingest, filename: str, data: bytes
) -> None:
    row = await _land_as_profile(ingest, filename, data)

    parsed = await ingest.parse(row)

    assert_setup_reason(parsed)


async def test_undefined_profile_rejects_cut_off_utf16(ingest: Ingest) -> None:
    # The setup reason comes first, because the file would fail without the
    # profile even if it were delivered again complete.
    data = codecs.BOM_UTF16_LE + GERMAN_CSV.encode("utf-16-le")[:-1]
    row = await _land_as_profile(ingest, "mystery.csv", data)

    parsed = await ingest.parse(row)

    assert_setup_reason(parsed)


async def test_undefined_profile_rejects_workbook(ingest: Ingest) -> None:
    row = await _land_as_profile(ingest, "mystery.xlsx", german_workbook())

    parsed = await ingest.parse(row)

    assert_setup_reason(parsed)


async def test_undefined_profile_keeps_statements(ingest: Ingest) -> None:
    row = await _land_as_profile(ingest, "day1.sta", mt940().encode())

    parsed = await ingest.parse(row)

    assert parsed.status == FileStatus.PARSED.value
    assert parsed.transaction_count == 2
