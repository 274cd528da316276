"""Tolerance pass: amount limits, date windows and per-currency tolerances."""

from datetime import date
from decimal import Decimal

import pytest
from engine_factories import definition, item, ledger, tolerance
from recon_matcher.engine import MatchResult, match_transactions, max_difference

DAY_ONE = date(2024, 3, 10)


def _pairs(result: MatchResult) -> set[tuple[str, str]]:
    records = result.group_records()
    return {(group.side_a_ids[0], group.side_b_ids[0]) for group in records}


@pytest.mark.parametrize(
    ("ledger_amount", "inclusive", "matched"),
    [
        ("100.50", True, True),
        ("99.50", True, True),
        ("100.51", True, False),
        ("99.49", True, False),
        ("100.50", False, False),
        ("100.49", False, True),
        ("99.51", False, True),
    ],
)
def test_tolerance_amount_edges(
    ledger_amount: str, inclusive: bool, matched: bool
) -> None:
    spec = definition(tolerance(amount_tolerance="0.50", inclusive=inclusive))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", ledger_amount)]

    result = match_transactions(spec, side_a, side_b)

    assert (_pairs(result) == {("s1", "l1")}) is matched


def test_tolerance_zero_matches_equal_amount_only() -> None:
    spec = definition(tolerance(amount_tolerance="0"))
    side_a = [item("s1", "100.00"), item("s2", "50.00")]
    side_b = [ledger("l1", "100.00"), ledger("l2", "50.01")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_tolerance_zero_exclusive_matches_nothing() -> None:
    spec = definition(tolerance(amount_tolerance="0", inclusive=False))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "100.00")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_tolerance_finer_than_minor_unit() -> None:
    spec = definition(tolerance(amount_tolerance="0.015"))
    side_a = [item("s1", "100.00"), item("s2", "200.00")]
    side_b = [ledger("l1", "100.01"), ledger("l2", "200.02")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_tolerance_negative_amounts_across_zero() -> None:
    spec = definition(tolerance(amount_tolerance="0.30"))
    side_a = [item("s1", "-0.10")]
    side_b = [ledger("l1", "0.20")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


@pytest.mark.parametrize(
    ("offset_days", "matched"),
    [(-3, True), (3, True), (-4, False), (4, False), (0, True)],
)
def test_tolerance_symmetric_window(offset_days: int, matched: bool) -> None:
    spec = definition(tolerance(date_window_days=3))
    side_a = [item("s1", "10.00", value_date=DAY_ONE)]
    side_b = [ledger("l1", "10.00", value_date=date(2024, 3, 10 + offset_days))]

    result = match_transactions(spec, side_a, side_b)

    assert (_pairs(result) == {("s1", "l1")}) is matched


@pytest.mark.parametrize(
    ("offset_days", "matched"),
    [(-1, True), (-2, False), (5, True), (6, False)],
)
def test_tolerance_asymmetric_window(offset_days: int, matched: bool) -> None:
    window = {"days_before": 1, "days_after": 5}
    spec = definition(tolerance(date_window=window))
    side_a = [item("s1", "10.00", value_date=DAY_ONE)]
    side_b = [ledger("l1", "10.00", value_date=date(2024, 3, 10 + offset_days))]

    result = match_transactions(spec, side_a, side_b)

    assert (_pairs(result) == {("s1", "l1")}) is matched


def test_tolerance_default_window_same_day() -> None:
    spec = definition(tolerance())
    side_a = [item("s1", "10.00", value_date=DAY_ONE)]
    side_b = [ledger("l1", "10.00", value_date=date(2024, 3, 11))]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_tolerance_booking_date_on_side_b() -> None:
    spec = definition(tolerance(date_window_days=1, date_b="booking_date"))
    side_a = [item("s1", "10.00", value_date=DAY_ONE)]
    side_b = [
        ledger("l1", "10.00", value_date=DAY_ONE, booking_date=date(2024, 3, 13)),
        ledger("l2", "10.00", value_date=date(2024, 3, 20), booking_date=DAY_ONE),
        ledger("l3", "10.00", value_date=DAY_ONE),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l2")}


def test_tolerance_per_currency() -> None:
    spec = definition(
        tolerance(amount_tolerance="1.00", currency_tolerances={"JPY": "150"})
    )
    side_a = [
        item("s1", "100.00", currency="EUR"),
        item("s2", "10000", currency="JPY"),
        item("s3", "20000", currency="JPY"),
    ]
    side_b = [
        ledger("l1", "101.00", currency="EUR"),
        ledger("l2", "10150", currency="JPY"),
        ledger("l3", "20151", currency="JPY"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1"), ("s2", "l2")}


def test_tolerance_three_decimal_currency() -> None:
    spec = definition(tolerance(amount_tolerance="0.005"))
    side_a = [item("s1", "1.000", currency="KWD"), item("s2", "2.000", currency="KWD")]
    side_b = [
        ledger("l1", "1.005", currency="KWD"),
        ledger("l2", "2.006", currency="KWD"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_tolerance_currency_must_agree() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_a = [item("s1", "100.00", currency="EUR")]
    side_b = [ledger("l1", "100.00", currency="USD")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_tolerance_account_must_agree() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "100.00", account="999999")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_tolerance_explanation_and_values() -> None:
    spec = definition(tolerance(amount_tolerance="1.00", date_window_days=3))
    side_a = [item("s1", "100.00", value_date=DAY_ONE)]
    side_b = [ledger("l1", "100.50", value_date=date(2024, 3, 12))]

    result = match_transactions(spec, side_a, side_b)

    group = result.group_records()[0]
    assert group.explanation == (
        "currency and account equal, amount differs by 0.50 EUR, 2 days apart, "
        "no other candidate for either item"
    )
    assert group.amount_difference == Decimal("-0.50")
    assert group.days_apart == 2
    assert group.score == Decimal("0.7083")


def test_tolerance_explanation_zero_decimal_currency() -> None:
    spec = definition(tolerance(currency_tolerances={"JPY": "10"}))
    side_a = [item("s1", "1000", currency="JPY")]
    side_b = [ledger("l1", "1007", currency="JPY")]

    result = match_transactions(spec, side_a, side_b)

    assert result.group_records()[0].explanation == (
        "currency and account equal, amount differs by 7 JPY, same date, "
        "no other candidate for either item"
    )


def test_tolerance_exact_values_score_one() -> None:
    spec = definition(tolerance(amount_tolerance="1.00", date_window_days=3))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "100.00")]

    result = match_transactions(spec, side_a, side_b)

    group = result.group_records()[0]
    assert group.score == 1
    assert group.explanation == (
        "currency and account equal, amount equal, same date, "
        "no other candidate for either item"
    )


def test_tolerance_min_score_drops_weak_pairs() -> None:
    thresholds = {"min_score": "0.8"}
    spec = definition(tolerance(amount_tolerance="1.00", thresholds=thresholds))
    side_a = [item("s1", "100.00"), item("s2", "200.00")]
    side_b = [ledger("l1", "100.90"), ledger("l2", "200.10")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s2", "l2")}


def test_tolerance_auto_confirm_threshold() -> None:
    thresholds = {"auto_confirm": "0.9"}
    spec = definition(tolerance(amount_tolerance="1.00", thresholds=thresholds))
    side_a = [item("s1", "100.00"), item("s2", "200.00")]
    side_b = [ledger("l1", "100.90"), ledger("l2", "200.10")]

    result = match_transactions(spec, side_a, side_b)

    statuses = {group.side_a_ids[0]: group.status for group in result.group_records()}
    assert statuses == {"s1": "proposed", "s2": "confirmed"}


@pytest.mark.parametrize(
    ("tolerance_text", "currency", "inclusive", "expected"),
    [
        ("0.50", "EUR", True, 50),
        ("0.50", "EUR", False, 49),
        ("0.505", "EUR", True, 50),
        ("0.505", "EUR", False, 50),
        ("0", "EUR", False, -1),
        ("3", "JPY", True, 3),
        ("0.5", "JPY", True, 0),
        ("0.5", "JPY", False, 0),
    ],
)
def test_max_difference_rounding(
    tolerance_text: str, currency: str, inclusive: bool, expected: int
) -> None:
    limit = max_difference(Decimal(tolerance_text), currency, inclusive=inclusive)

    assert limit == expected


@pytest.mark.parametrize(
    ("ledger_amount", "inclusive", "matched"),
    [
        ("1010.00", True, True),
        ("990.00", True, True),
        ("1010.01", True, False),
        ("1010.00", False, False),
        ("1009.99", False, True),
    ],
)
def test_tolerance_percent_edges(
    ledger_amount: str, inclusive: bool, matched: bool
) -> None:
    step = tolerance(amount_tolerance_percent="1", inclusive=inclusive)
    spec = definition(step)
    side_a = [item("s1", "1000.00")]
    side_b = [ledger("l1", ledger_amount)]

    result = match_transactions(spec, side_a, side_b)

    assert (_pairs(result) == {("s1", "l1")}) is matched


def test_tolerance_percent_or_absolute_larger() -> None:
    step = tolerance(amount_tolerance="2.00", amount_tolerance_percent="1")
    spec = definition(step)
    side_a = [item("s1", "50.00"), item("s2", "1000.00")]
    side_b = [ledger("l1", "52.00"), ledger("l2", "1009.00")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1"), ("s2", "l2")}


def test_tolerance_percent_separates_accounts() -> None:
    spec = definition(tolerance(amount_tolerance_percent="5"))
    side_a = [item("s1", "100.00"), item("s2", "100.00", currency="USD")]
    side_b = [ledger("l1", "101.00", account="999999"), ledger("l2", "102.00")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l2")}


def test_tolerance_percent_no_shared_account() -> None:
    spec = definition(tolerance(amount_tolerance_percent="5"))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "100.00", account="999999")]

    result = match_transactions(spec, side_a, side_b)

    assert result.groups.height == 0


def test_tolerance_percent_precision_limit() -> None:
    with pytest.raises(ValueError, match="decimal"):
        tolerance(amount_tolerance_percent="0.00001")
