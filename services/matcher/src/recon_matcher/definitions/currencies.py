"""The ISO 4217 currency codes that a definition may name.

A new definition may name only active codes, which come from the `iso4217` package:
the SIX list one table of the date in `iso4217.__published__`. `recon_common.money`
lists only the minor units that differ from two, so it cannot tell an active code
from an unknown one. A stored version is read with `STORED_CONTEXT`, under which any
three-letter code passes, so a version saved before a code was withdrawn, or before
this check existed, still loads.
"""

import difflib
from collections import Counter
from typing import Annotated, Any, Final

from iso4217 import Currency
from pydantic import AfterValidator, ValidationInfo
from recon_common.money import AmountError, minor_units

ACTIVE_CODES: Final = frozenset(currency.code for currency in Currency)

# The validation context of stored versions (see the module docstring).
STORED_CONTEXT: Final[dict[str, Any]] = {"stored": True}

# The maximum number of codes that an error suggests when several are equally close.
_MAX_SUGGESTIONS: Final = 3


def check_currency(code: str, info: ValidationInfo) -> str:
    """Return `code` in upper case, or raise ValueError unless it is valid."""
    try:
        minor_units(code)
    except AmountError as error:
        raise ValueError(str(error)) from None
    upper = code.upper()
    stored = isinstance(info.context, dict) and info.context.get("stored") is True
    if stored or upper in ACTIVE_CODES:
        return upper
    nearest = nearest_codes(upper)
    advice = (
        f"did you mean {' or '.join(nearest)}?"
        if nearest
        else "use the three-letter code of an active currency, such as EUR or USD"
    )
    raise ValueError(
        f"invalid currency code {code!r}: not an active ISO 4217 code; {advice}"
    )


# A currency code field: upper case, and active unless read from a stored version.
CurrencyCode = Annotated[str, AfterValidator(check_currency)]


def nearest_codes(code: str) -> list[str]:
    """Return the active codes most similar to `code`, at most three.

    difflib ranks the candidates. Among codes of equal rank, those that share more
    letters with `code` come first (GPB suggests GBP before GIP), then those with
    more letters in the same place (USS suggests USD before SOS). Codes that still
    tie are all returned, in alphabetical order.
    """
    close = difflib.get_close_matches(code, ACTIVE_CODES, n=len(ACTIVE_CODES))
    if not close:
        return []
    letters = Counter(code)

    def rank(candidate: str) -> tuple[float, int, int]:
        ratio = difflib.SequenceMatcher(None, code, candidate).ratio()
        pairs = zip(code, candidate, strict=False)
        in_place = sum(1 for mine, theirs in pairs if mine == theirs)
        shared = sum((letters & Counter(candidate)).values())
        return ratio, shared, in_place

    best = max(rank(candidate) for candidate in close)
    tied = sorted(candidate for candidate in close if rank(candidate) == best)
    return tied[:_MAX_SUGGESTIONS]
