"""Tolerance scores of mutually unique pairs: the penalty is halved."""

from datetime import date
from decimal import Decimal

import polars as pl
from engine_factories import definition, exact, item, ledger, tolerance
from recon_matcher.definitions.models import Side
from recon_matcher.engine import (
    GroupStatus,
    match_transactions,
    prepare_side,
    tolerance_candidates,
    transactions_to_frame,
)
from recon_matcher.engine.passes import UNIQUE_COLUMN

DAY_ONE = date(2024, 3, 10)
UNIQUE_PHRASE = ", no other candidate for either item"


def test_unique_pair_penalty_halved() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))

    result = match_transactions(spec, [item("s1", "10.00")], [ledger("l1", "10.40")])

    group = result.group_records()[0]
    assert group.score == Decimal("0.9")
    assert group.explanation.endswith(UNIQUE_PHRASE)


def test_unique_second_b_candidate_keeps_penalty() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_b = [ledger("l1", "10.40"), ledger("l2", "10.50")]

    result = match_transactions(spec, [item("s1", "10.00")], side_b)

    group = result.group_records()[0]
    assert group.side_b_ids == ("l1",)
    assert group.score == Decimal("0.8")
    assert not group.explanation.endswith(UNIQUE_PHRASE)


def test_unique_second_a_candidate_keeps_penalty() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_a = [item("s1", "10.00"), item("s2", "10.90")]

    result = match_transactions(spec, side_a, [ledger("l1", "10.40")])

    group = result.group_records()[0]
    assert group.side_a_ids == ("s1",)
    assert group.score == Decimal("0.8")


def test_unique_penalty_halved_rounds_up() -> None:
    spec = definition(tolerance(amount_tolerance="1.00", date_window_days=3))
    side_b = [ledger("l1", "100.50", value_date=date(2024, 3, 12))]

    result = match_transactions(
        spec, [item("s1", "100.00", value_date=DAY_ONE)], side_b
    )

    # Amount 2,500 and date 3,333 basis points make 5,833, halved up to 2,917.
    assert result.group_records()[0].score == Decimal("0.7083")


def test_unique_item_outside_limits_not_rival() -> None:
    spec = definition(tolerance(amount_tolerance="1.00"))
    side_b = [ledger("l1", "10.40"), ledger("l2", "11.50")]

    result = match_transactions(spec, [item("s1", "10.00")], side_b)

    group = result.group_records()[0]
    assert group.score == Decimal("0.9")
    assert group.side_b_ids == ("l1",)


def test_unique_item_taken_earlier_not_rival() -> None:
    spec = definition(
        exact(name="reference"),
        tolerance(amount_tolerance="1.00"),
    )
    side_a = [item("s1", "10.00"), item("s2", "10.50", reference="INV-9")]
    side_b = [ledger("l1", "10.40"), ledger("l2", "10.50", reference="INV-9")]

    result = match_transactions(spec, side_a, side_b)

    scores = {group.side_a_ids[0]: group.score for group in result.group_records()}
    assert scores == {"s1": Decimal("0.9"), "s2": Decimal(1)}


def test_unique_pair_reaches_auto_confirm() -> None:
    thresholds = {"auto_confirm": "0.88"}
    spec = definition(tolerance(amount_tolerance="1.00", thresholds=thresholds))
    side_a = [item("s1", "10.00"), item("s2", "50.00"), item("s3", "50.10")]
    side_b = [ledger("l1", "10.40"), ledger("l2", "50.40")]

    result = match_transactions(spec, side_a, side_b)

    status = {group.side_a_ids[0]: group.status for group in result.group_records()}
    assert status["s1"] is GroupStatus.CONFIRMED
    assert status["s3"] is GroupStatus.PROPOSED


def test_unique_candidates_flag_column() -> None:
    step = tolerance(amount_tolerance="1.00")
    spec = definition(step)
    side_a = [item("s1", "10.00"), item("s2", "50.00"), item("s3", "50.10")]
    side_b = [ledger("l1", "10.40"), ledger("l2", "50.40")]
    frame_a = prepare_side(spec, Side.A, transactions_to_frame(side_a))
    frame_b = prepare_side(spec, Side.B, transactions_to_frame(side_b))

    candidates = tolerance_candidates(step, frame_a, frame_b)

    flags = dict(
        candidates.select(pl.col("a_transaction_id"), pl.col(UNIQUE_COLUMN)).iter_rows()
    )
    assert flags == {"s1": True, "s2": False, "s3": False}
