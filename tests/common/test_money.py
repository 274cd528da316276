"""Tests for currency minor units, amount parsing and scale checks."""

from decimal import Decimal

import pytest
from recon_common.money import AmountError, check_scale, minor_units, parse_amount


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("JPY", 0), ("BHD", 3), ("EUR", 2), ("CLF", 4), ("usd", 2)],
)
def test_minor_units_per_currency(currency: str, expected: int) -> None:
    units = minor_units(currency)

    assert units == expected


@pytest.mark.parametrize("currency", ["EU", "EURO", "E1R", "", "ÄUR", "€UR", "ıur"])
def test_minor_units_invalid_code_rejected(currency: str) -> None:
    with pytest.raises(AmountError, match="invalid currency code"):
        minor_units(currency)


@pytest.mark.parametrize(
    ("text", "decimal_mark", "expected"),
    [
        ("1234.56", ".", "1234.56"),
        ("  -0.10 ", ".", "-0.10"),
        ("12.", ".", "12.0"),
        ("1234,56", ",", "1234.56"),
        ("1.234.567,89", ",", "1234567.89"),
        ("-5,", ",", "-5.0"),
    ],
)
def test_parse_amount_exact(text: str, decimal_mark: str, expected: str) -> None:
    value = parse_amount(text, decimal_mark=decimal_mark)

    assert isinstance(value, Decimal)
    assert str(value) == expected


@pytest.mark.parametrize("text", ["", "abc", "1,2", "NaN", "Infinity", "-inf"])
def test_parse_amount_invalid_rejected(text: str) -> None:
    with pytest.raises(AmountError, match="invalid amount"):
        parse_amount(text)


def test_parse_amount_keeps_many_decimals() -> None:
    value = parse_amount("0,1234567890123456789", decimal_mark=",")

    assert value == Decimal("0.1234567890123456789")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("100", "JPY"),
        ("100.000", "JPY"),
        ("1.234", "BHD"),
        ("10.50", "EUR"),
        ("10.500000", "EUR"),
        ("0", "EUR"),
    ],
)
def test_check_scale_accepts_fitting_amount(amount: str, currency: str) -> None:
    value = Decimal(amount)

    result = check_scale(value, currency)

    assert result is value


@pytest.mark.parametrize(
    ("amount", "currency", "decimals", "allowed"),
    [("100.5", "JPY", 1, 0), ("1.2345", "BHD", 4, 3), ("10.001", "eur", 3, 2)],
)
def test_check_scale_too_many_decimals_rejected(
    amount: str, currency: str, decimals: int, allowed: int
) -> None:
    with pytest.raises(AmountError) as caught:
        check_scale(Decimal(amount), currency)

    message = str(caught.value)
    assert amount in message
    assert currency.upper() in message
    assert f"{decimals} decimals" in message
    assert f"allows {allowed}" in message


def test_check_scale_invalid_currency_rejected() -> None:
    with pytest.raises(AmountError, match="invalid currency code 'EURO'"):
        check_scale(Decimal("1.00"), "EURO")


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_check_scale_non_finite_rejected(amount: str) -> None:
    with pytest.raises(AmountError, match="not a finite number"):
        check_scale(Decimal(amount), "EUR")


def test_check_scale_counts_decimals_beyond_28_digits() -> None:
    # 31 significant digits: more than the default decimal context keeps.
    amount = Decimal("1234567890123456789012345678.901")

    with pytest.raises(AmountError, match="has 3 decimals"):
        check_scale(amount, "EUR")


def test_check_scale_long_amount_with_trailing_zeros_accepted() -> None:
    amount = Decimal("1234567890123456789012345678.9000")

    result = check_scale(amount, "EUR")

    assert result is amount
