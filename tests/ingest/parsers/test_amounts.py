from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from recon_ingest.parsers.amounts import parse_grouped_amount

AMOUNTS = st.decimals(
    min_value=Decimal("-999999999.99"),
    max_value=Decimal("999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def european(value: Decimal, *, trailing_minus: bool) -> str:
    """Format `value` as 1.234,56 with a leading or trailing minus sign."""
    text = f"{abs(value):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if value >= 0:
        return text
    return f"{text}-" if trailing_minus else f"-{text}"


@given(AMOUNTS, st.booleans())
def test_grouped_amount_round_trip(value: Decimal, trailing_minus: bool) -> None:
    text = european(value, trailing_minus=trailing_minus)

    parsed = parse_grouped_amount(text, decimal_mark=",", thousands_separator=".")

    assert parsed == value


@given(AMOUNTS)
def test_bracketed_amount_round_trip(value: Decimal) -> None:
    text = f"({abs(value):,.2f})" if value < 0 else f"{value:,.2f}"

    parsed = parse_grouped_amount(text, decimal_mark=".", thousands_separator=",")

    assert parsed == value


@pytest.mark.parametrize(
    "text", ["12,3,4", "1.23.4", "1,2345", "--5", "(5", "5-5", "", "1e5", "NaN"]
)
def test_grouped_amount_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid amount"):
        parse_grouped_amount(text, decimal_mark=".", thousands_separator=",")
