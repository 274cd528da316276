"""Grouped passes: one-to-many, many-to-one and many-to-many with summed amounts."""

from datetime import date
from decimal import Decimal

import pytest
from engine_factories import definition, exact, item, ledger, tolerance
from recon_matcher.engine import Group, MatchResult, match_transactions

DAY_ONE = date(2024, 3, 10)


def _groups(result: MatchResult) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    return {(group.side_a_ids, group.side_b_ids) for group in result.group_records()}


def _only(result: MatchResult) -> Group:
    records = result.group_records()
    assert len(records) == 1
    return records[0]


def test_keyed_one_to_many_by_reference() -> None:
    spec = definition(exact(grouping="one_to_many"))
    side_a = [item("s1", "100.00", reference="R1")]
    side_b = [
        ledger("l1", "60.00", reference="R1"),
        ledger("l2", "40.00", reference="R1", value_date=date(2024, 3, 3)),
    ]

    result = match_transactions(spec, side_a, side_b)

    group = _only(result)
    assert group.side_a_ids == ("s1",)
    assert group.side_b_ids == ("l1", "l2")
    assert group.days_apart == 2
    assert group.explanation == (
        "1 side A and 2 side B items, reference, currency and account equal, "
        "sums equal, 2 days apart"
    )


def test_keyed_sum_must_be_equal() -> None:
    spec = definition(exact(grouping="one_to_many"))
    side_a = [item("s1", "100.00", reference="R1")]
    side_b = [
        ledger("l1", "60.00", reference="R1"),
        ledger("l2", "40.01", reference="R1"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == set()


def test_keyed_group_above_max_size_skipped() -> None:
    spec = definition(exact(grouping="one_to_many", max_group_size=2))
    side_a = [item("s1", "90.00", reference="R1")]
    side_b = [ledger(f"l{index}", "30.00", reference="R1") for index in range(3)]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == set()


def test_keyed_many_to_one() -> None:
    spec = definition(exact(grouping="many_to_one"))
    side_a = [
        item("s1", "-70.00", reference="R2"),
        item("s2", "-30.00", reference="R2"),
    ]
    side_b = [ledger("l1", "-100.00", reference="R2")]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == {(("s1", "s2"), ("l1",))}


def test_keyed_many_to_many_nets_signs() -> None:
    spec = definition(exact(grouping="many_to_many"))
    side_a = [item("s1", "100.00", reference="R3"), item("s2", "-5.00", reference="R3")]
    side_b = [
        ledger("l1", "50.00", reference="R3"),
        ledger("l2", "45.00", reference="R3"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == {(("s1", "s2"), ("l1", "l2"))}


def test_keyed_one_item_per_group() -> None:
    spec = definition(exact(grouping="one_to_many"))
    side_a = [
        item("s1", "100.00", reference="R1"),
        item("s2", "100.00", reference="R1"),
    ]
    side_b = [
        ledger("l1", "60.00", reference="R1"),
        ledger("l2", "40.00", reference="R1"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == {(("s1",), ("l1", "l2"))}
    assert result.unmatched_a.get_column("transaction_id").to_list() == ["s2"]


def test_subset_one_to_many_picks_summing_items() -> None:
    spec = definition(tolerance(grouping="one_to_many", date_window_days=2))
    side_a = [item("s1", "100.00", value_date=DAY_ONE)]
    side_b = [
        ledger("l1", "30.00", value_date=DAY_ONE),
        ledger("l2", "55.00", value_date=DAY_ONE),
        ledger("l3", "70.00", value_date=date(2024, 3, 11)),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == {(("s1",), ("l1", "l3"))}
    assert result.unmatched_b.get_column("transaction_id").to_list() == ["l2"]


def test_subset_within_tolerance() -> None:
    spec = definition(tolerance(grouping="one_to_many", amount_tolerance="0.50"))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "49.80"), ledger("l2", "49.80")]

    result = match_transactions(spec, side_a, side_b)

    group = _only(result)
    assert group.amount_difference == Decimal("0.40")
    assert group.explanation == (
        "1 side A and 2 side B items, currency and account equal, "
        "sums differ by 0.40 EUR, same date"
    )


def test_subset_outside_window_skipped() -> None:
    spec = definition(tolerance(grouping="one_to_many", date_window_days=1))
    side_a = [item("s1", "100.00", value_date=DAY_ONE)]
    side_b = [
        ledger("l1", "60.00", value_date=DAY_ONE),
        ledger("l2", "40.00", value_date=date(2024, 3, 12)),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == set()


def test_subset_nets_a_fee_debit() -> None:
    spec = definition(tolerance(grouping="one_to_many"))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "105.00"), ledger("l2", "-5.00")]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == {(("s1",), ("l1", "l2"))}


def test_subset_respects_max_group_size() -> None:
    spec = definition(tolerance(grouping="one_to_many", max_group_size=2))
    side_a = [item("s1", "90.00")]
    side_b = [ledger(f"l{index}", "30.00") for index in range(3)]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == set()


def test_subset_three_items_when_allowed() -> None:
    spec = definition(tolerance(grouping="one_to_many", max_group_size=3))
    side_a = [item("s1", "90.00")]
    side_b = [ledger(f"l{index}", "30.00") for index in range(3)]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == {(("s1",), ("l0", "l1", "l2"))}


def test_subset_many_to_one() -> None:
    spec = definition(tolerance(grouping="many_to_one", date_window_days=3))
    side_a = [
        item("s1", "20.00", value_date=DAY_ONE),
        item("s2", "80.00", value_date=date(2024, 3, 8)),
    ]
    side_b = [ledger("l1", "100.00", value_date=DAY_ONE)]

    result = match_transactions(spec, side_a, side_b)

    group = _only(result)
    assert group.side_a_ids == ("s1", "s2")
    assert group.side_b_ids == ("l1",)
    assert group.days_apart == 2


def test_subset_items_never_shared() -> None:
    spec = definition(tolerance(grouping="one_to_many"))
    side_a = [item("s1", "100.00"), item("s2", "100.00")]
    side_b = [ledger(f"l{index}", "50.00") for index in range(3)]

    result = match_transactions(spec, side_a, side_b)

    records = result.group_records()
    b_ids = [b_id for group in records for b_id in group.side_b_ids]
    assert _groups(result) == {(("s1",), ("l0", "l1"))}
    assert len(b_ids) == len(set(b_ids))


@pytest.mark.parametrize(("cap", "found"), [(2, False), (5, True)])
def test_subset_candidate_cap_limits_triples(cap: int, found: bool) -> None:
    step = tolerance(
        grouping="one_to_many", max_group_candidates=cap, date_window_days=3
    )
    side_a = [item("s1", "100.00", value_date=DAY_ONE)]
    later = date(2024, 3, 12)
    side_b = [
        ledger("l1", "5.00", value_date=DAY_ONE),
        ledger("l2", "5.00", value_date=DAY_ONE),
        ledger("l3", "30.00", value_date=later),
        ledger("l4", "30.00", value_date=later),
        ledger("l5", "40.00", value_date=later),
    ]

    result = match_transactions(definition(step), side_a, side_b)

    expected = {(("s1",), ("l3", "l4", "l5"))} if found else set()
    assert _groups(result) == expected


def test_subset_pairs_found_beyond_cap() -> None:
    step = tolerance(grouping="one_to_many", max_group_candidates=2)
    side_a = [item("s1", "100.00")]
    side_b = [ledger(f"x{index}", "1.00") for index in range(4)]
    side_b += [ledger("y1", "45.00"), ledger("y2", "55.00")]

    result = match_transactions(definition(step), side_a, side_b)

    assert _groups(result) == {(("s1",), ("y1", "y2"))}


def test_subset_three_items_below_max_four() -> None:
    spec = definition(tolerance(grouping="one_to_many", max_group_size=4))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "50.00"), ledger("l2", "30.00"), ledger("l3", "20.00")]

    result = match_transactions(spec, side_a, side_b)

    assert _groups(result) == {(("s1",), ("l1", "l2", "l3"))}


def test_subset_four_items_last_within_tolerance() -> None:
    step = tolerance(grouping="one_to_many", max_group_size=4, amount_tolerance="0.50")
    side_a = [item("s1", "100.00")]
    side_b = [
        ledger("l1", "40.00"),
        ledger("l2", "30.00"),
        ledger("l3", "20.00"),
        ledger("l4", "10.30"),
        ledger("l5", "11.00"),
    ]

    result = match_transactions(definition(step), side_a, side_b)

    group = _only(result)
    assert group.side_b_ids == ("l1", "l2", "l3", "l4")
    assert group.amount_difference == Decimal("-0.30")


def test_subset_three_items_last_below_bucket() -> None:
    step = tolerance(grouping="one_to_many", max_group_size=3, amount_tolerance="0.50")
    side_a = [item("s1", "-100.00")]
    side_b = [ledger("l1", "-60.00"), ledger("l2", "-30.00"), ledger("l3", "-9.55")]

    result = match_transactions(definition(step), side_a, side_b)

    group = _only(result)
    assert group.side_b_ids == ("l1", "l2", "l3")
    assert group.amount_difference == Decimal("-0.45")
