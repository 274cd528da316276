"""Parse the values of MT940, MT942 and MT950 fields: dates, balances and `:61:`."""

import re
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
# The usual `:61:` layout up to the type code, in one pattern: value date, optional
# entry date, mark, optional funds code, amount and type code. A line that does not
# match takes the step-by-step path, which finds the first wrong part to report. The
# amount must end where the step-by-step path ends it, at the first character that
# is not a digit, comma or period.
_USUAL_LINE = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)[A-Z]?"
    r"(?P<amount>[0-9]+(?:,[0-9]*)?)(?![0-9,.])\s*(?P<code>[A-Z][A-Z0-9 ]{3})"
)
_NO_REFERENCE = "NONREF"


@dataclass(frozen=True)
class MtBalance:
    """A balance field: signed amount, currency (if written) and date."""

    amount: Decimal
    currency: str | None
    on: date


@dataclass(frozen=True, slots=True)
class StatementLine:
    """The parsed `:61:` field."""

    value_date: date
    entry_date: date | None
    direction: Direction
    reversal: bool
    amount: Decimal
    type_code: str
    customer_reference: str | None
    bank_reference: str | None
    supplementary: list[str]


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


def parse_statement_line(lines: list[str], *, where: str) -> StatementLine:
    """Parse a `:61:` field and its supplementary detail lines."""
    usual = _USUAL_LINE.match(lines[0])
    if usual is None:
        return _parse_unusual_line(lines, where=where)
    value_date = parse_yymmdd(usual["value"], where=where, label="value date")
    entry_date = None
    if usual["entry"] is not None:
        entry_date = nearest_entry_date(usual["entry"], value_date, where=where)
    # The pattern admits only amounts that parse_mt_amount accepts.
    amount = Decimal(usual["amount"].replace(",", ".").rstrip("."))
    return _statement_line(
        lines,
        value_date=value_date,
        entry_date=entry_date,
        mark=usual["mark"],
        amount=amount,
        type_code=usual["code"],
        references=lines[0][usual.end() :],
    )


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
    return _statement_line(
        lines,
        value_date=value_date,
        entry_date=entry_date,
        mark=mark,
        amount=amount,
        type_code=code.group("code"),
        references=rest[code.end() :],
    )


def _statement_line(
    lines: list[str],
    *,
    value_date: date,
    entry_date: date | None,
    mark: str,
    amount: Decimal,
    type_code: str,
    references: str,
) -> StatementLine:
    customer, bank, supplementary = _split_references(references)
    if len(lines) > 1:
        supplementary.extend(line.strip() for line in lines[1:])
    direction, reversal = _direction(mark)
    return StatementLine(
        value_date=value_date,
        entry_date=entry_date,
        direction=direction,
        reversal=reversal,
        amount=amount,
        type_code=type_code.strip(),
        customer_reference=customer,
        bank_reference=bank,
        supplementary=supplementary,
    )


def _direction(mark: str) -> tuple[Direction, bool]:
    # A reversal of a credit (RC) takes money out of the account and a reversal of a
    # debit (RD) puts it back; EC and ED are the expected entries of MT942.
    match mark:
        case "C" | "EC":
            return Direction.CREDIT, False
        case "D" | "ED":
            return Direction.DEBIT, False
        case "RC":
            return Direction.DEBIT, True
        case _:
            return Direction.CREDIT, True


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
