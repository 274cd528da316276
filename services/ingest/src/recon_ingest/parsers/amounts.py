"""Parse amounts as bank extracts print them: signs, brackets and digit grouping."""

import re
from decimal import Decimal


def parse_grouped_amount(
    text: str, *, decimal_mark: str, thousands_separator: str | None
) -> Decimal:
    """Parse `1.234,56-`, `(1,234.56)`, `-50,00` or `+12` into a signed Decimal.

    Digit groups must be three digits wide, so "12,3,4" is rejected instead of being
    read as 1234. Raises ValueError for anything that is not a number.
    """
    value = text.strip().replace("\u00a0", " ")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    elif value.endswith("-"):
        negative, value = True, value[:-1].strip()
    elif value.startswith("-"):
        negative, value = True, value[1:].strip()
    elif value.startswith("+"):
        value = value[1:].strip()
    if not _pattern(decimal_mark, thousands_separator).match(value):
        raise ValueError(f"invalid amount {text!r}")
    if thousands_separator:
        value = value.replace(thousands_separator, "")
    number = Decimal(value.replace(decimal_mark, "."))
    return -number if negative else number


def _pattern(decimal_mark: str, thousands_separator: str | None) -> re.Pattern[str]:
    mark = re.escape(decimal_mark)
    fraction = rf"(?:{mark}\d+)?"
    plain = rf"\d+{fraction}|{mark}\d+"
    if not thousands_separator:
        return re.compile(rf"^(?:{plain})$")
    group = re.escape(thousands_separator)
    grouped = rf"\d{{1,3}}(?:{group}\d{{3}})+{fraction}"
    return re.compile(rf"^(?:{grouped}|{plain})$")
