"""CSV ledger extracts in the built-in `ledger` layout for the parsing tests."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

LEDGER_ACCOUNT = "GL-100200"
HEADER = (
    "booking_date,value_date,amount,currency,reference,entry_id,account,"
    "description,counterparty"
)
_FIRST_DAY = date(2026, 12, 1)


def entry_id(number: int) -> str:
    """Return the entry id of ledger row `number`, as the demo ledger numbers them."""
    return f"JE{number:07d}"


def ledger_row(
    number: int,
    *,
    amount: Decimal | None = None,
    entry: str | None = None,
    account: str = LEDGER_ACCOUNT,
) -> str:
    """Return one CSV row, with `amount` and `entry` in place of generated values."""
    day = _FIRST_DAY + timedelta(days=number % 5)
    value = amount if amount is not None else Decimal(number % 997) + Decimal("0.25")
    return (
        f"{day.isoformat()},{day.isoformat()},{value},EUR,INV-{number},"
        f"{entry if entry is not None else entry_id(number)},{account},"
        f"Invoice {number},Customer {number % 50}"
    )


def ledger_csv(
    numbers: Iterable[int],
    *,
    amounts: Mapping[int, Decimal] | None = None,
    extra_rows: Iterable[str] = (),
) -> str:
    """Return an extract with one row per number, then `extra_rows` as they are."""
    changed = amounts or {}
    rows = [ledger_row(number, amount=changed.get(number)) for number in numbers]
    return "\n".join([HEADER, *rows, *extra_rows]) + "\n"
