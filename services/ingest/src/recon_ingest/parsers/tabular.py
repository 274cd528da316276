"""Read CSV and .xlsx extracts through a `CsvProfile` into transactions.

Rows are located by their first physical line in the file (CSV) or their row number
(.xlsx), so a quoted field with line breaks does not shift the reported positions.
Rows whose cells are all empty are spacing, not entries, and are skipped.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from recon_common.events import Direction

from recon_ingest.parsers.amounts import parse_grouped_amount
from recon_ingest.parsers.context import ParseContext, checked_amount
from recon_ingest.parsers.csv_profile import CsvProfile
from recon_ingest.parsers.model import ParseRejected
from recon_ingest.parsers.workbook import check_archive, read_sheet_rows

Cell = str | int | float | Decimal | date | datetime | None
# Returns the cell of the current row in the named column (None for no column).
CellReader = Callable[[str | None], Cell]


def parse_csv(text: str, *, profile: CsvProfile, context: ParseContext) -> None:
    """Parse CSV text into the context, starting at the profile's header line."""
    body = _skip_physical_lines(text, profile.skip_lines)
    reader = csv.reader(
        io.StringIO(body, newline=""),
        delimiter=profile.separator,
        quotechar=profile.quote_char,
        strict=True,
    )

    def numbered_rows() -> Iterable[tuple[int, list[str]]]:
        previous_end = profile.skip_lines
        try:
            for row in reader:
                yield previous_end + 1, row
                previous_end = profile.skip_lines + reader.line_num
        except csv.Error as error:
            raise ParseRejected(
                f"line {profile.skip_lines + reader.line_num}: invalid CSV: {error}"
            ) from None

    _parse_rows(numbered_rows(), profile=profile, context=context, unit="line")


def parse_xlsx(data: bytes, *, profile: CsvProfile, context: ParseContext) -> None:
    """Parse the first (or the profile's) sheet of an .xlsx workbook."""
    check_archive(data, max_uncompressed_bytes=10 * context.settings.max_file_bytes)
    rows = read_sheet_rows(data, sheet=profile.sheet, skip_rows=profile.skip_lines)
    _parse_rows(rows, profile=profile, context=context, unit="row")


def _skip_physical_lines(text: str, count: int) -> str:
    position = 0
    for _ in range(count):
        newline = _next_line_break(text, position)
        if newline < 0:
            return ""
        position = newline
    return text[position:]


def _next_line_break(text: str, start: int) -> int:
    """Return the index just past the next CRLF, CR or LF, or -1."""
    for index in range(start, len(text)):
        char = text[index]
        if char == "\n":
            return index + 1
        if char == "\r":
            return index + 2 if text[index + 1 : index + 2] == "\n" else index + 1
    return -1


def _parse_rows(
    rows: Iterable[tuple[int, Sequence[Cell]]],
    *,
    profile: CsvProfile,
    context: ParseContext,
    unit: str,
) -> None:
    iterator = iter(rows)
    header_row = next(iterator, None)
    if header_row is None:
        raise ParseRejected(
            f"{unit} {profile.skip_lines + 1}: header row is missing (skip_lines is "
            f"{profile.skip_lines})"
        )
    columns = _column_indexes(header_row, profile=profile, unit=unit)
    for number, cells in iterator:
        if all(_blank(cell) for cell in cells):
            continue
        where = f"{unit} {number}"
        fields = _row_fields(cells, columns=columns, profile=profile, where=where)
        context.add_transaction(source_location=where, **fields)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _column_indexes(
    header_row: tuple[int, Sequence[Cell]], *, profile: CsvProfile, unit: str
) -> dict[str, int]:
    number, cells = header_row
    names: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = str(cell or "").strip().lstrip("\ufeff")
        names.setdefault(name, index)
    required = {
        name
        for name in (
            profile.date_column,
            profile.value_date_column,
            profile.amount_column,
            profile.debit_column,
            profile.credit_column,
            profile.direction_column,
            profile.currency_column,
            profile.reference_column,
            profile.bank_reference_column,
            profile.end_to_end_column,
            profile.account_column,
            profile.description_column,
            profile.counterparty_column,
            profile.counterparty_account_column,
        )
        if name is not None
    }
    missing = sorted(required - names.keys())
    if missing:
        raise ParseRejected(
            f"{unit} {number}: header has no column {', '.join(map(repr, missing))}; "
            f"its columns are {', '.join(map(repr, names))}. Check the CSV profile "
            "(column names, separator, skip_lines)"
        )
    return {name: names[name] for name in required}


def _row_fields(
    cells: Sequence[Cell], *, columns: dict[str, int], profile: CsvProfile, where: str
) -> dict[str, Any]:
    def cell(column: str | None) -> Cell:
        if column is None:
            return None
        index = columns[column]
        return cells[index] if index < len(cells) else None

    def text_of(column: str | None) -> str | None:
        value = cell(column)
        if _blank(value):
            return None
        return str(value).strip()

    currency = (text_of(profile.currency_column) or profile.currency or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ParseRejected(
            f'{where}: currency "{currency}" is not a three-letter code'
        )
    account = text_of(profile.account_column) or profile.account
    if not account:
        raise ParseRejected(f"{where}: {profile.account_column} is empty")
    direction, amount, reversal = _direction_and_amount(
        cell, profile=profile, where=where
    )
    booking_date = _date(cell(profile.date_column), profile, where, profile.date_column)
    value_date = booking_date
    if profile.value_date_column is not None and not _blank(
        cell(profile.value_date_column)
    ):
        value_date = _date(
            cell(profile.value_date_column), profile, where, profile.value_date_column
        )
    return {
        "account": account,
        "currency": currency,
        "amount": checked_amount(amount, currency, where=f"{where}:"),
        "direction": direction,
        "reversal": reversal,
        "value_date": value_date,
        "booking_date": booking_date,
        "customer_reference": text_of(profile.reference_column),
        "bank_reference": text_of(profile.bank_reference_column),
        "end_to_end_id": text_of(profile.end_to_end_column),
        "remittance_info": text_of(profile.description_column),
        "counterparty_name": text_of(profile.counterparty_column),
        "counterparty_account": text_of(profile.counterparty_account_column),
    }


def _date(value: Cell, profile: CsvProfile, where: str, column: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    try:
        return datetime.strptime(text, profile.date_format).date()
    except ValueError:
        raise ParseRejected(
            f'{where}: {column} "{text}" does not match the date format '
            f"{profile.date_format}"
        ) from None


def _amount(value: Cell, profile: CsvProfile, where: str, column: str) -> Decimal:
    if isinstance(value, bool):
        raise ParseRejected(f"{where}: {column} {value} is not a number")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        # Spreadsheet cells are binary floats, and repr gives the shortest decimal
        # that reads back as the same float, which is what the sheet displays.
        return Decimal(repr(value))
    text = "" if value is None else str(value)
    try:
        return parse_grouped_amount(
            text,
            decimal_mark=profile.decimal_mark,
            thousands_separator=profile.thousands_separator,
        )
    except ValueError:
        raise ParseRejected(
            f'{where}: {column} "{text.strip()}" is not a number'
        ) from None


def _optional_amount(
    value: Cell, profile: CsvProfile, where: str, column: str
) -> Decimal | None:
    return None if _blank(value) else _amount(value, profile, where, column)


def _direction_and_amount(
    cell: CellReader, *, profile: CsvProfile, where: str
) -> tuple[Direction, Decimal, bool]:
    if profile.amount_column is None:
        return _split_columns(cell, profile=profile, where=where)
    value = _amount(cell(profile.amount_column), profile, where, profile.amount_column)
    if profile.direction_column is not None:
        return _marked(cell, value, profile=profile, where=where)
    if profile.sign_convention == "debit_positive":
        value = -value
    direction = Direction.DEBIT if value < 0 else Direction.CREDIT
    return direction, abs(value), False


def _split_columns(
    cell: CellReader, *, profile: CsvProfile, where: str
) -> tuple[Direction, Decimal, bool]:
    debit_column, credit_column = (
        profile.debit_column or "",
        profile.credit_column or "",
    )
    debit_cell, credit_cell = cell(debit_column), cell(credit_column)
    debit = (
        None
        if _blank(debit_cell)
        else _amount(debit_cell, profile, where, debit_column)
    )
    credit = (
        None
        if _blank(credit_cell)
        else _amount(credit_cell, profile, where, credit_column)
    )
    if credit is not None and credit < 0:
        raise ParseRejected(
            f"{where}: {credit_column} contains the negative amount {credit}, which "
            "does not show whether money came in or went out; correct the file"
        )
    # Many banks print debits with a minus sign, so the sign of a debit is ignored.
    if debit is not None and debit != 0:
        if credit is not None and credit != 0:
            raise ParseRejected(
                f"{where}: both {debit_column} and {credit_column} hold an amount"
            )
        return Direction.DEBIT, abs(debit), False
    if credit is not None:
        return Direction.CREDIT, credit, False
    if debit is not None:
        return Direction.DEBIT, Decimal(0), False
    raise ParseRejected(f"{where}: both {debit_column} and {credit_column} are empty")


def _marked(
    cell: CellReader, value: Decimal, *, profile: CsvProfile, where: str
) -> tuple[Direction, Decimal, bool]:
    column = profile.direction_column or ""
    mark = str(cell(column) or "").strip().upper()
    if value < 0:
        raise ParseRejected(
            f"{where}: {profile.amount_column} {value} is negative although "
            f"{column} gives the direction"
        )
    if mark in profile.credit_marks:
        return Direction.CREDIT, value, False
    if mark in profile.debit_marks:
        return Direction.DEBIT, value, False
    if mark == "RC":
        return Direction.DEBIT, value, True
    if mark == "RD":
        return Direction.CREDIT, value, True
    raise ParseRejected(
        f'{where}: {column} "{mark}" is not a known credit or debit mark'
    )
