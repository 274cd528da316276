"""Read the rows of one .xlsx worksheet for the tabular parser.

An .xlsx file is a ZIP archive of XML parts. The archive's declared sizes are checked
before openpyxl opens it, so a small file that expands to gigabytes (a ZIP bomb) is
rejected, and openpyxl parses the XML parts through defusedxml, which is installed
with this package.
"""

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from recon_ingest.parsers.model import ParseRejected

Cell = str | int | float | Decimal | date | datetime | None


def check_archive(data: bytes, *, max_uncompressed_bytes: int) -> None:
    """Reject an archive that is not a ZIP or that expands beyond the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(item.file_size for item in archive.infolist())
    except zipfile.BadZipFile:
        raise ParseRejected("the .xlsx file is not a valid ZIP archive") from None
    if total > max_uncompressed_bytes:
        raise ParseRejected(
            f"the .xlsx file expands to {total} bytes, more than the limit of "
            f"{max_uncompressed_bytes} (10 times max_file_bytes)"
        )


def read_sheet_rows(
    data: bytes, *, sheet: str | None, skip_rows: int
) -> Iterator[tuple[int, list[Cell]]]:
    """Yield (row number, cell values) from the header row onwards."""
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True
        )
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        raise ParseRejected(f"the .xlsx file cannot be opened: {error}") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ParseRejected(
                f"the workbook has no sheet {sheet!r}; its sheets are "
                f"{', '.join(map(repr, workbook.sheetnames))}"
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if number > skip_rows:
                yield number, [_cell(value) for value in row]
    finally:
        workbook.close()


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | Decimal | date):
        return value
    return str(value)
