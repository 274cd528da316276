import io
import zipfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from recon_common.events import Direction
from recon_ingest.parsers import LEDGER_PROFILE, ParseRejected, ParseSettings

from .support import parse_bytes

HEADER = [
    "entry_id",
    "account",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "reference",
    "description",
    "counterparty",
]


def workbook_bytes(rows: list[list[object]]) -> bytes:
    """Return an .xlsx workbook whose first sheet contains `rows`."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Ledger"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_ledger_rows() -> None:
    data = workbook_bytes(
        [
            ["Ledger extract March"],
            HEADER,
            ["JE1", "ACC", datetime(2024, 3, 1), date(2024, 3, 2), -12.5, "EUR"],
            ["JE2", "ACC", "2024-03-01", None, "1,000.00", "EUR", "R2"],
        ]
    )
    profile = replace(LEDGER_PROFILE, skip_lines=1, thousands_separator=",")

    result = parse_bytes(data, filename="ledger.xlsx", csv_profile=profile)

    first, second = result.transactions
    assert result.source_format == "xlsx"
    assert first.amount == Decimal("12.50")
    assert first.direction is Direction.DEBIT
    assert first.value_date == date(2024, 3, 2)
    assert first.source_location == "row 3"
    assert second.amount == Decimal("1000.00")
    assert second.customer_reference == "R2"


def test_xlsx_missing_sheet_rejected() -> None:
    data = workbook_bytes([HEADER])
    profile = replace(LEDGER_PROFILE, sheet="Bookings")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="ledger.xlsx", csv_profile=profile)

    assert error.value.reason == (
        "the workbook has no sheet 'Bookings'; its sheets are 'Ledger'"
    )


def test_xlsx_expansion_limit() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/big.xml", b"0" * 100_000)
    settings = ParseSettings(max_file_bytes=5_000)

    with pytest.raises(ParseRejected) as error:
        parse_bytes(buffer.getvalue(), filename="bomb.xlsx", settings=settings)

    assert "expands to 100000 bytes" in error.value.reason
