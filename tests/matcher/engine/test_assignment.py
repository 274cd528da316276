"""One-to-one assignment: competing candidates, tie-breaks and pass order."""

from datetime import date

import polars as pl
import pytest
from engine_factories import definition, exact, item, ledger, tolerance
from recon_matcher.engine import (
    FrameError,
    MatchResult,
    match_transactions,
    required_columns,
    run_passes,
    transactions_to_frame,
)

DAY_ONE = date(2024, 3, 10)


def _pairs(result: MatchResult) -> set[tuple[str, str]]:
    records = result.group_records()
    return {(group.side_a_ids[0], group.side_b_ids[0]) for group in records}


def test_assignment_smaller_difference_wins() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l1", "100.40"), ledger("l2", "100.10")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l2")}
    assert result.unmatched_b.get_column("transaction_id").to_list() == ["l1"]


def test_assignment_fewer_days_break_tie() -> None:
    spec = definition(tolerance(amount_tolerance="1.00", date_window_days=3))
    side_a = [item("s1", "100.00", value_date=DAY_ONE)]
    side_b = [
        ledger("l1", "100.10", value_date=date(2024, 3, 12)),
        ledger("l2", "99.90", value_date=date(2024, 3, 9)),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l2")}


def test_assignment_id_order_breaks_full_tie() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_a = [item("s1", "100.00")]
    side_b = [ledger("l9", "100.00"), ledger("l10", "100.00"), ledger("l2", "100.00")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l10")}


def test_assignment_ignores_input_order() -> None:
    spec = definition(tolerance(amount_tolerance="1.00", date_window_days=2))
    side_a = [item(f"s{index}", "100.00") for index in range(6)]
    side_b = [
        ledger(f"l{index}", f"100.{index}0", value_date=date(2024, 3, index % 3 + 1))
        for index in range(6)
    ]

    forward = match_transactions(spec, side_a, side_b)
    backward = match_transactions(spec, side_a[::-1], side_b[::-1])

    assert _pairs(forward) == _pairs(backward)


def test_assignment_greedy_not_maximum() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_a = [item("s1", "10.00"), item("s2", "11.00")]
    side_b = [ledger("l1", "10.60"), ledger("l2", "11.50")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s2", "l1")}


def test_assignment_two_ledger_items_compete() -> None:
    spec = definition(exact(), tolerance(amount_tolerance="0.50"))
    side_a = [item("s1", "250.00", reference="R-77")]
    side_b = [
        ledger("l1", "250.00", reference="R77"),
        ledger("l2", "250.00", reference="r-077"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert result.groups.height == 1
    assert _pairs(result) == {("s1", "l1")}
    assert result.unmatched_b.get_column("transaction_id").to_list() == ["l2"]


def test_assignment_earlier_pass_claims_items() -> None:
    spec = definition(exact(), tolerance(amount_tolerance="5.00"))
    side_a = [item("s1", "100.00", reference="A1"), item("s2", "101.00")]
    side_b = [ledger("l1", "100.00", reference="A1"), ledger("l2", "100.50")]

    result = match_transactions(spec, side_a, side_b)

    passes = {group.side_a_ids[0]: group.pass_name for group in result.group_records()}
    assert _pairs(result) == {("s1", "l1"), ("s2", "l2")}
    assert passes == {"s1": "exact", "s2": "tolerance"}


def test_assignment_many_equal_amounts() -> None:
    spec = definition(tolerance())
    side_a = [item(f"s{index:02d}", "10.00") for index in range(30)]
    side_b = [ledger(f"l{index:02d}", "10.00") for index in range(20)]

    result = match_transactions(spec, side_a, side_b)

    pairs = _pairs(result)
    assert len(pairs) == 20
    assert len({a for a, _ in pairs}) == 20
    assert {a for a, _ in pairs} == {f"s{index:02d}" for index in range(20)}
    assert result.unmatched_a.height == 10


def test_run_empty_sides() -> None:
    spec = definition(exact(), tolerance(amount_tolerance="1.00"))
    side_b = [ledger("l1", "10.00")]

    result = match_transactions(spec, [], side_b)

    assert result.groups.height == 0
    assert result.unmatched_b.height == 1


def test_run_duplicate_ids_rejected() -> None:
    spec = definition(exact())
    frame = transactions_to_frame([item("s1", "1.00"), item("s1", "2.00")])

    with pytest.raises(FrameError, match="more than once"):
        run_passes(spec, frame, transactions_to_frame([]))


def test_run_frame_missing_columns_rejected() -> None:
    spec = definition(exact())
    frame = pl.DataFrame({"transaction_id": ["s1"]})

    with pytest.raises(FrameError, match="lacks columns"):
        run_passes(spec, frame, transactions_to_frame([]))


def test_required_columns_follow_reference_rules() -> None:
    spec = definition(
        exact(reference={"side_b": {"fields": ["remittance_info"]}}), tolerance()
    )

    columns = required_columns(spec)

    assert columns == [
        "transaction_id",
        "account",
        "currency",
        "amount_minor",
        "value_date",
        "booking_date",
        "customer_reference",
        "bank_reference",
        "end_to_end_id",
        "remittance_info",
    ]
    assert required_columns(definition(tolerance())) == columns[:6]


def test_run_without_unread_columns_matches() -> None:
    spec = definition(exact(reference={"side_a": {"fields": ["customer_reference"]}}))
    side_a = transactions_to_frame([item("s1", "10.00", reference="INV-1")])
    side_b = transactions_to_frame([ledger("l1", "10.00", reference="INV-1")])

    result = run_passes(
        spec,
        side_a.select(required_columns(spec)),
        side_b.drop("record_kind", "source_format", "remittance_info"),
    )

    assert result.group_records()[0].transaction_ids == ("s1", "l1")
