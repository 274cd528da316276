"""Currency minor units and exact money parsing.

Amounts are always `Decimal`. A value with more decimals than its currency allows is
rejected instead of rounded, because a silently rounded amount can hide a break.
"""

from decimal import Context, Decimal, InvalidOperation

# ISO 4217 minor units for currencies that do not use two decimals. Every other valid
# three-letter code uses two. Source: ISO 4217 list one, as published by SIX.
_MINOR_UNITS_EXCEPTIONS: dict[str, int] = {
    "BHD": 3,
    "BIF": 0,
    "CLF": 4,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "UYW": 4,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


class AmountError(ValueError):
    """An amount that cannot be represented exactly in its currency."""


def minor_units(currency: str) -> int:
    """Return the number of decimals that `currency` allows (ISO 4217)."""
    code = currency.upper()
    # str.isalpha() accepts any Unicode letter, but ISO 4217 codes are ASCII.
    if len(code) != 3 or not currency.isascii() or not code.isalpha():
        raise AmountError(f"invalid currency code {currency!r}: expected three letters")
    return _MINOR_UNITS_EXCEPTIONS.get(code, 2)


def parse_amount(text: str, *, decimal_mark: str = ".") -> Decimal:
    """Parse an unsigned or signed amount string into a `Decimal` without rounding."""
    cleaned = text.strip()
    if decimal_mark != ".":
        cleaned = cleaned.replace(".", "").replace(decimal_mark, ".")
    if cleaned.endswith("."):
        cleaned += "0"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(f"invalid amount {text!r}: not a number") from None
    if not value.is_finite():
        raise AmountError(f"invalid amount {text!r}: not a finite number")
    return value


def check_scale(amount: Decimal, currency: str) -> Decimal:
    """Return `amount` if it fits the minor units of `currency`, else raise."""
    allowed = minor_units(currency)
    if not amount.is_finite():
        raise AmountError(f"invalid amount {amount}: not a finite number")
    # normalize() rounds to the context precision (28 digits by default), so it gets a
    # context as precise as the amount. Then it strips trailing zeros and never rounds.
    precision = Context(prec=max(len(amount.as_tuple().digits), 1))
    exponent = amount.normalize(precision).as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > allowed:
        raise AmountError(
            f"amount {amount} has {decimals} decimals but {currency.upper()} allows "
            f"{allowed}; correct the amount in the file, it is never rounded"
        )
    return amount
