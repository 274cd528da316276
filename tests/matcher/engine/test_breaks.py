"""Break reasons, amount bands and ageing of unmatched items."""

from datetime import date
from decimal import Decimal

import pytest
from engine_factories import definition, exact, item, ledger, tolerance
from recon_matcher.definitions import Definition
from recon_matcher.engine import (
    BreakReasonCode,
    ageing_days,
    amount_band,
    match_transactions,
)

DAY_ONE = date(2024, 3, 10)


def _two_passes() -> Definition:
    return definition(exact(), tolerance(amount_tolerance="1.00", date_window_days=2))


def test_break_no_counterpart() -> None:
    result = match_transactions(_two_passes(), [item("s1", "10.00")], [])

    assert result.break_reasons() == {"s1": BreakReasonCode.NO_COUNTERPART}


def test_break_amount_outside_tolerance() -> None:
    side_a = [item("s1", "100.00", reference="R1")]
    side_b = [ledger("l1", "150.00", reference="R1")]

    result = match_transactions(_two_passes(), side_a, side_b)

    assert result.break_reasons() == {
        "s1": BreakReasonCode.AMOUNT_OUTSIDE_TOLERANCE,
        "l1": BreakReasonCode.AMOUNT_OUTSIDE_TOLERANCE,
    }


def test_break_date_outside_window_by_reference() -> None:
    side_a = [item("s1", "100.00", reference="R1", value_date=DAY_ONE)]
    side_b = [ledger("l1", "100.50", reference="R1", value_date=date(2024, 3, 20))]

    result = match_transactions(_two_passes(), side_a, side_b)

    assert result.break_reasons()["s1"] == BreakReasonCode.DATE_OUTSIDE_WINDOW
    assert result.break_reasons()["l1"] == BreakReasonCode.DATE_OUTSIDE_WINDOW


def test_break_date_outside_window_by_amount() -> None:
    side_a = [item("s1", "100.00", value_date=DAY_ONE)]
    side_b = [ledger("l1", "100.00", value_date=date(2024, 3, 20))]

    result = match_transactions(_two_passes(), side_a, side_b)

    assert result.break_reasons()["s1"] == BreakReasonCode.DATE_OUTSIDE_WINDOW


def test_break_suspected_duplicate() -> None:
    side_a = [
        item("s1", "100.00", reference="R9"),
        item("s2", "100.00", reference="R9"),
    ]
    side_b = [ledger("l1", "100.00", reference="R9")]

    result = match_transactions(_two_passes(), side_a, side_b)

    assert result.break_reasons() == {"s2": BreakReasonCode.SUSPECTED_DUPLICATE}


def test_break_reason_values() -> None:
    values = {code.value for code in BreakReasonCode}

    assert values == {
        "no_counterpart",
        "amount_outside_tolerance",
        "date_outside_window",
        "suspected_duplicate",
    }


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        ("0.01", "under_1k"),
        ("999.99", "under_1k"),
        ("1000", "1k_10k"),
        ("-9999.99", "1k_10k"),
        ("10000", "10k_100k"),
        ("-250000", "100k_1m"),
        ("1000000", "1m_and_over"),
    ],
)
def test_amount_band_edges(amount: str, band: str) -> None:
    assert amount_band(Decimal(amount)) == band


def test_ageing_days_counts_to_date() -> None:
    assert ageing_days(DAY_ONE, date(2024, 3, 31)) == 21


def test_break_table_bands_and_ages() -> None:
    side_a = [item("s1", "1500.00", currency="EUR", value_date=DAY_ONE)]
    side_b = [ledger("l1", "-2000000", currency="JPY", value_date=date(2024, 3, 1))]

    result = match_transactions(_two_passes(), side_a, side_b)

    table = result.break_table(as_of=date(2024, 3, 31)).sort("transaction_id")
    assert table.get_column("transaction_id").to_list() == ["l1", "s1"]
    assert table.get_column("amount_band").to_list() == ["1m_and_over", "1k_10k"]
    assert table.get_column("age_days").to_list() == [30, 21]
    assert table.get_column("side").to_list() == ["b", "a"]
