"""Scores and thresholds: confirmed, proposed for review, and dropped groups."""

from datetime import date

from engine_factories import definition, item, ledger, tolerance
from recon_matcher.engine import GroupStatus, match_transactions

DAY_ONE = date(2024, 3, 10)


def test_thresholds_split_confirmed_and_proposed() -> None:
    step = tolerance(
        amount_tolerance="1.00",
        thresholds={"min_score": "0.8", "auto_confirm": "0.95"},
    )
    spec = definition(step)
    side_a = [item("s1", "100.00"), item("s2", "500.00"), item("s3", "900.00")]
    side_b = [ledger("l1", "100.00"), ledger("l2", "500.40"), ledger("l3", "901.00")]

    result = match_transactions(spec, side_a, side_b)

    status = {group.side_a_ids[0]: group.status for group in result.group_records()}
    assert status == {"s1": GroupStatus.CONFIRMED, "s2": GroupStatus.PROPOSED}
    assert result.unmatched_a.get_column("transaction_id").to_list() == ["s3"]


def test_thresholds_proposed_score_value() -> None:
    step = tolerance(amount_tolerance="1.00", thresholds={"auto_confirm": "0.95"})
    spec = definition(step)

    result = match_transactions(spec, [item("s1", "10.00")], [ledger("l1", "10.40")])

    group = result.group_records()[0]
    assert str(group.score) == "0.9000"
    assert group.status is GroupStatus.PROPOSED


def test_thresholds_grouped_pass_proposed() -> None:
    step = tolerance(
        grouping="one_to_many",
        amount_tolerance="1.00",
        date_window_days=2,
        thresholds={"min_score": "0.5", "auto_confirm": "0.95"},
    )
    spec = definition(step)
    side_a = [item("s1", "100.00", value_date=DAY_ONE)]
    side_b = [
        ledger("l1", "60.00", value_date=DAY_ONE),
        ledger("l2", "40.00", value_date=date(2024, 3, 11)),
    ]

    result = match_transactions(spec, side_a, side_b)

    group = result.group_records()[0]
    assert str(group.score) == "0.7500"
    assert group.status is GroupStatus.PROPOSED
    assert group.side_b_ids == ("l1", "l2")
