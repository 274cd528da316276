"""Parse the values of MT940, MT942 and MT950 fields: dates, balances and `:61:`."""

import re
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from recon_common.events import Direction

from recon_ingest.parsers.model import ParseRejected

_AMOUNT = re.compile(r"^\d+(?:,\d*)?$")
_BALANCE = re.compile(
    r"^(?P<mark>[CD])(?P<date>\S{6})(?P<currency>[A-Z]{3})?(?P<amount>\S*)$"
)
# Type code: a letter and three letters or digits. Some exports pad it with spaces
# ("S   "), which is accepted and stripped.
_TYPE_CODE = re.compile(r"^\s*(?P<code>[A-Z][A-Z0-9 ]{3})")
_YYMMDD = re.compile(r"\d{6}")
_MMDD = re.compile(r"\d{4}")
# Reversal and expected marks are checked before "C" and "D", so that "RC" is not
# read as "R" plus "C".
_TWO_LETTER_MARKS = frozenset({"RC", "RD", "EC", "ED"})
_AMOUNT_CHARACTERS = "0123456789,."
# The usual `:61:` layout in one pattern: value date and optional entry date, mark,
# optional funds code, amount and type code, then, if the line ends with them, a
# customer reference and a bank reference without whitespace. A line that does not
# match takes the step-by-step path, which finds the first wrong part to report. The
# amount must end where the step-by-step path ends it, at the first character that
# is not a digit, comma or period. Other reference layouts leave the reference
# groups empty and go to `_split_references`.
_USUAL_LINE = re.compile(
    r"(?P<dates>\d{6}(?:\d{4})?)(?P<mark>RC|RD|EC|ED|C|D)[A-Z]?"
    r"(?P<amount>[0-9]+(?:,[0-9]*)?)(?![0-9,.])\s*(?P<code>[A-Z][A-Z0-9 ]{3})"
    r"(?:(?P<customer>[^\s/]+)//(?P<bank>\S*)\Z)?"
)
_NO_REFERENCE = "NONREF"
# Direction and reversal flag of each mark. A reversal of a credit (RC) takes money
# out of the account and a reversal of a debit (RD) puts it back. EC and ED are the
# expected entries of MT942.
_MARKS = {
    "C": (Direction.CREDIT, False),
    "EC": (Direction.CREDIT, False),
    "D": (Direction.DEBIT, False),
    "ED": (Direction.DEBIT, False),
    "RC": (Direction.DEBIT, True),
    "RD": (Direction.CREDIT, True),
}


@dataclass(frozen=True)
class MtBalance:
    """A balance field: signed amount, currency (if written) and date."""

    amount: Decimal
    currency: str | None
    on: date


# Not frozen, because a frozen dataclass takes several times as long to build and
# there is one per entry.
@dataclass(slots=True)
class StatementLine:
    """The parsed `:61:` field."""

    value_date: date
    entry_date: date | None
    direction: Direction
    reversal: bool
    # The amount as written, so with as many decimals as the field has.
    amount: Decimal
    # Number of decimals written after the comma, or None when the amount took the
    # step-by-step path.
    amount_decimals: int | None
    type_code: str
    customer_reference: str | None
    bank_reference: str | None
    # Supplementary details after the bank reference and on the following lines,
    # joined by newlines.
    supplementary: str


def parse_yymmdd(text: str, *, where: str, label: str) -> date:
    """Parse a SWIFT YYMMDD date, reading years 80-99 as 19xx."""
    parsed = _cached_yymmdd(text)
    if parsed is not None:
        return parsed
    if not _YYMMDD.fullmatch(text):
        raise ParseRejected(f'{where} {label} "{text}" is not a YYMMDD date')
    raise ParseRejected(f'{where} {label} "{text}" is not a valid date')


# A statement repeats the same few dates on every entry, so parsed dates are cached.
@lru_cache(maxsize=4096)
def _cached_yymmdd(text: str) -> date | None:
    """Return the date that `text` writes as YYMMDD, or None if it is not one."""
    if not _YYMMDD.fullmatch(text):
        return None
    year = int(text[:2])
    year += 1900 if year >= 80 else 2000
    try:
        return date(year, int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def nearest_entry_date(mmdd: str, value_date: date, *, where: str) -> date:
    """Resolve an MMDD entry date to the year that puts it closest to the value date."""
    nearest = _cached_nearest_date(mmdd, value_date)
    if nearest is None:
        raise ParseRejected(f'{where} entry date "{mmdd}" is not a valid MMDD date')
    return nearest


@lru_cache(maxsize=4096)
def _cached_nearest_date(mmdd: str, value_date: date) -> date | None:
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates: list[date] = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda on: abs(on - value_date) / timedelta(days=1))


def parse_mt_amount(text: str, *, where: str) -> Decimal:
    """Parse a SWIFT amount such as `1234,56` or `0,` (comma decimal, no sign)."""
    if not _AMOUNT.match(text):
        raise ParseRejected(f'{where} amount "{text}" is not a number')
    return Decimal(text.replace(",", ".").rstrip(".") or "0")


def parse_balance(text: str, *, where: str) -> MtBalance:
    """Parse a balance field such as `C090930DKK1654095,16`."""
    found = _BALANCE.match(text.strip())
    if found is None:
        raise ParseRejected(
            f'{where} balance "{text.strip()}" is not mark, YYMMDD date, currency '
            "and amount"
        )
    on = parse_yymmdd(found.group("date"), where=where, label="balance date")
    amount = parse_mt_amount(found.group("amount"), where=where)
    if found.group("mark") == "D":
        amount = -amount
    return MtBalance(amount=amount, currency=found.group("currency"), on=on)


def parse_statement_line(lines: list[str], *, line: int) -> StatementLine:
    """Parse a `:61:` field that starts on `line` and its supplementary lines."""
    usual = _USUAL_LINE.match(lines[0])
    if usual is None:
        return _parse_unusual_line(lines, where=f"line {line}: :61:")
    dates, mark, amount_text, type_code, customer, bank = usual.groups()
    parsed_dates = _cached_dates(dates)
    if parsed_dates is None:
        parsed_dates = _parse_dates(dates, where=f"line {line}: :61:")
    comma = amount_text.find(",")
    if comma < 0:
        amount = Decimal(amount_text)
        decimals = 0
    else:
        # The pattern admits only amounts that parse_mt_amount accepts. A trailing
        # "." is valid for Decimal and gives the same value and exponent as none.
        amount = Decimal(amount_text.replace(",", "."))
        decimals = len(amount_text) - comma - 1
    direction, reversal = _MARKS[mark]
    if bank is None:
        customer, bank, supplementary = _split_references(lines[0][usual.end() :])
        if len(lines) > 1:
            supplementary.extend(text.strip() for text in lines[1:])
        details = "\n".join(supplementary)
    else:
        # What `_split_references` returns for references without whitespace.
        if customer == _NO_REFERENCE:
            customer = None
        bank = bank or None
        details = ""
        if len(lines) > 1:
            details = "\n".join(text.strip() for text in lines[1:])
    # Positional arguments, in field order, because they take half the time of
    # keywords and there is one StatementLine per entry. Type codes repeat, so one
    # string each is kept for all entries.
    return StatementLine(
        parsed_dates[0],
        parsed_dates[1],
        direction,
        reversal,
        amount,
        decimals,
        sys.intern(type_code.strip()),
        customer,
        bank,
        details,
    )


@lru_cache(maxsize=4096)
def _cached_dates(text: str) -> tuple[date, date | None] | None:
    """Return the value date and optional entry date of YYMMDD[MMDD], or None."""
    value_date = _cached_yymmdd(text[:6])
    if value_date is None:
        return None
    if len(text) == 6:
        return value_date, None
    entry_date = _cached_nearest_date(text[6:], value_date)
    if entry_date is None:
        return None
    return value_date, entry_date


def _parse_dates(text: str, *, where: str) -> tuple[date, date | None]:
    """Parse YYMMDD[MMDD] step by step, raising for the first invalid date."""
    value_date = parse_yymmdd(text[:6], where=where, label="value date")
    if len(text) == 6:
        return value_date, None
    return value_date, nearest_entry_date(text[6:], value_date, where=where)


def _parse_unusual_line(lines: list[str], *, where: str) -> StatementLine:
    text = lines[0]
    value_date = parse_yymmdd(text[:6], where=where, label="value date")
    rest = text[6:]
    entry_date = None
    if _MMDD.match(rest):
        entry_date = nearest_entry_date(rest[:4], value_date, where=where)
        rest = rest[4:]

    if rest[:2] in _TWO_LETTER_MARKS:
        mark = rest[:2]
    elif rest[:1] == "C" or rest[:1] == "D":
        mark = rest[:1]
    else:
        raise ParseRejected(
            f'{where} debit/credit mark "{rest[:2]}" is not C, D, RC or RD'
        )
    rest = rest[len(mark) :]
    # An optional funds code letter (the third letter of the currency code) follows.
    if rest[:1].isalpha():
        rest = rest[1:]

    amount_end = len(rest) - len(rest.lstrip(_AMOUNT_CHARACTERS))
    amount = parse_mt_amount(rest[:amount_end], where=where)
    rest = rest[amount_end:]
    code = _TYPE_CODE.match(rest)
    if code is None:
        raise ParseRejected(f"{where} transaction type code missing after the amount")
    customer, bank, supplementary = _split_references(rest[code.end() :])
    if len(lines) > 1:
        supplementary.extend(line.strip() for line in lines[1:])
    direction, reversal = _MARKS[mark]
    return StatementLine(
        value_date=value_date,
        entry_date=entry_date,
        direction=direction,
        reversal=reversal,
        amount=amount,
        amount_decimals=None,
        type_code=code.group("code").strip(),
        customer_reference=customer,
        bank_reference=bank,
        supplementary="\n".join(supplementary),
    )


def _split_references(text: str) -> tuple[str | None, str | None, list[str]]:
    customer_text, separator, bank_text = text.partition("//")
    customer = customer_text.strip() or None
    if customer == _NO_REFERENCE:
        customer = None
    if not separator:
        return customer, None, []
    bank, _, supplementary = bank_text.strip().partition(" ")
    extra = [supplementary.strip()] if supplementary.strip() else []
    return customer, bank or None, extra
