"""Parse the values of MT940, MT942 and MT950 fields: dates, balances and `:61:`."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from recon_common.events import Direction

from recon_ingest.parsers.model import ParseRejected

_AMOUNT = re.compile(r"^\d+(?:,\d*)?$")
_BALANCE = re.compile(
    r"^(?P<mark>[CD])(?P<date>\S{6})(?P<currency>[A-Z]{3})?(?P<amount>\S*)$"
)
# Type code: a letter and three letters or digits. Some exports pad it with spaces
# ("S   "), which is accepted and stripped.
_TYPE_CODE = re.compile(r"^\s*(?P<code>[A-Z][A-Z0-9 ]{3})")
# Reversal and expected marks first, so that "RC" is not read as "R" plus "C".
_MARKS = ("RC", "RD", "EC", "ED", "C", "D")
_NO_REFERENCE = "NONREF"


@dataclass(frozen=True)
class MtBalance:
    """A balance field: signed amount, currency (if written) and date."""

    amount: Decimal
    currency: str | None
    on: date


@dataclass(frozen=True)
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
    if not re.fullmatch(r"\d{6}", text):
        raise ParseRejected(f'{where} {label} "{text}" is not a YYMMDD date')
    year = int(text[:2])
    year += 1900 if year >= 80 else 2000
    try:
        return date(year, int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise ParseRejected(f'{where} {label} "{text}" is not a valid date') from None


def nearest_entry_date(mmdd: str, value_date: date, *, where: str) -> date:
    """Resolve an MMDD entry date to the year that puts it closest to the value date."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates: list[date] = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise ParseRejected(f'{where} entry date "{mmdd}" is not a valid MMDD date')
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
    text = lines[0]
    value_date = parse_yymmdd(text[:6], where=where, label="value date")
    rest = text[6:]
    entry_date = None
    if re.match(r"\d{4}", rest):
        entry_date = nearest_entry_date(rest[:4], value_date, where=where)
        rest = rest[4:]

    mark = next((m for m in _MARKS if rest.startswith(m)), None)
    if mark is None:
        raise ParseRejected(
            f'{where} debit/credit mark "{rest[:2]}" is not C, D, RC or RD'
        )
    rest = rest[len(mark) :]
    # An optional funds code letter (the third letter of the currency code) follows.
    if rest[:1].isalpha():
        rest = rest[1:]

    amount_end = len(rest) - len(rest.lstrip("0123456789,."))
    amount = parse_mt_amount(rest[:amount_end], where=where)
    rest = rest[amount_end:]
    code = _TYPE_CODE.match(rest)
    if code is None:
        raise ParseRejected(f"{where} transaction type code missing after the amount")

    customer, bank, supplementary = _split_references(rest[code.end() :])
    direction, reversal = _direction(mark)
    return StatementLine(
        value_date=value_date,
        entry_date=entry_date,
        direction=direction,
        reversal=reversal,
        amount=amount,
        type_code=code.group("code").strip(),
        customer_reference=customer,
        bank_reference=bank,
        supplementary=[*supplementary, *(line.strip() for line in lines[1:])],
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
