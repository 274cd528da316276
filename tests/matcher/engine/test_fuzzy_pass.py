"""Fuzzy reference pass: similarity threshold, amount and date limits, blocking."""

from datetime import date
from decimal import Decimal

from engine_factories import definition, fuzzy, item, ledger
from recon_matcher.engine import MatchResult, match_transactions

DAY_ONE = date(2024, 3, 10)


def _pairs(result: MatchResult) -> set[tuple[str, str]]:
    records = result.group_records()
    return {(group.side_a_ids[0], group.side_b_ids[0]) for group in records}


def test_fuzzy_typo_in_reference_matches() -> None:
    spec = definition(fuzzy(min_similarity="0.8", amount_tolerance="1.00"))
    side_a = [item("s1", "250.00", reference="INV-2024-000123")]
    side_b = [ledger("l1", "250.00", reference="INV-2024-000128")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_fuzzy_below_threshold_unmatched() -> None:
    spec = definition(fuzzy(min_similarity="0.95"))
    side_a = [item("s1", "250.00", reference="INV-2024-000123")]
    side_b = [ledger("l1", "250.00", reference="INV-2024-000128")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_fuzzy_prefers_more_similar_reference() -> None:
    spec = definition(fuzzy(min_similarity="0.5", amount_tolerance="5.00"))
    side_a = [item("s1", "100.00", reference="ACME7781")]
    side_b = [
        ledger("l1", "100.00", reference="ACME9999"),
        ledger("l2", "103.00", reference="ACME7787"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l2")}


def test_fuzzy_amount_outside_tolerance_unmatched() -> None:
    spec = definition(fuzzy(amount_tolerance="1.00"))
    side_a = [item("s1", "100.00", reference="ABC12345")]
    side_b = [ledger("l1", "101.01", reference="ABC12345")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_fuzzy_date_outside_window_unmatched() -> None:
    spec = definition(fuzzy(date_window_days=2))
    side_a = [item("s1", "100.00", reference="ABC12345", value_date=DAY_ONE)]
    side_b = [
        ledger("l1", "100.00", reference="ABC12345", value_date=date(2024, 3, 13))
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_fuzzy_other_account_unmatched() -> None:
    spec = definition(fuzzy())
    side_a = [item("s1", "100.00", reference="ABC12345")]
    side_b = [ledger("l1", "100.00", reference="ABC12345", account="999999")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_fuzzy_missing_reference_unmatched() -> None:
    spec = definition(fuzzy())
    side_a = [item("s1", "100.00", reference=None)]
    side_b = [ledger("l1", "100.00", reference=None)]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_fuzzy_score_and_explanation() -> None:
    spec = definition(fuzzy(min_similarity="0.8", amount_tolerance="2.00"))
    side_a = [item("s1", "100.00", reference="ABCDEFGHIJ", value_date=DAY_ONE)]
    side_b = [ledger("l1", "99.00", reference="ABCDEFGHIX", value_date=DAY_ONE)]

    result = match_transactions(spec, side_a, side_b)

    group = result.group_records()[0]
    # Similarity 0.9 times (1 - half of 1.00/2.00) is 0.675.
    assert group.score == Decimal("0.6750")
    assert group.explanation == (
        "reference 90% similar, currency and account equal, "
        "amount differs by 1.00 EUR, same date"
    )


def test_fuzzy_jaro_winkler_measure() -> None:
    spec = definition(fuzzy(similarity="jaro_winkler", min_similarity="0.9"))
    side_a = [item("s1", "100.00", reference="ACMEPAYMENT42")]
    side_b = [ledger("l1", "100.00", reference="ACMEPAYMENT24")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}
