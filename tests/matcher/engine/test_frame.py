"""Transactions to frames: minor units, signs and result conversion."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from engine_factories import definition, exact, item, ledger
from recon_common.money import AmountError
from recon_matcher.engine import (
    from_minor_units,
    match_transactions,
    to_minor_units,
    transactions_to_frame,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "EUR", 1234),
        ("-0.01", "EUR", -1),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("7", "EUR", 700),
    ],
)
def test_minor_units_round_trip(amount: str, currency: str, minor: int) -> None:
    converted = to_minor_units(Decimal(amount), currency)

    assert converted == minor
    assert from_minor_units(converted, currency) == Decimal(amount)


def test_minor_units_reject_extra_decimals() -> None:
    with pytest.raises(AmountError, match="allows"):
        to_minor_units(Decimal("1.005"), "EUR")


def test_frame_signs_debits_negative() -> None:
    frame = transactions_to_frame([item("s1", "-12.50"), item("s2", "3.00")])

    assert frame.get_column("amount_minor").to_list() == [-1250, 300]


def test_result_contracts_stable_ids() -> None:
    spec = definition(exact())
    side_a = [item("s1", "5.00", reference="R1"), item("s2", "6.00")]
    side_b = [ledger("l1", "5.00", reference="R1")]
    matched_at = datetime(2024, 3, 1, 12, tzinfo=UTC)

    first = match_transactions(spec, side_a, side_b).match_groups(matched_at=matched_at)
    second = match_transactions(spec, side_a, side_b).match_groups(
        matched_at=matched_at
    )

    assert first[0].group_id == second[0].group_id
    assert first[0].transaction_ids == ["s1", "l1"]
    assert first[0].score == 1


def test_result_breaks_name_side() -> None:
    spec = definition(exact())
    side_a = [item("s1", "5.00", reference="R1"), item("s2", "6.00")]
    side_b = [ledger("l1", "5.00", reference="R1"), ledger("l2", "1.00")]

    result = match_transactions(spec, side_a, side_b)

    breaks = result.breaks(opened_at=datetime(2024, 3, 1, tzinfo=UTC))
    assert [(found.transaction_id, found.side) for found in breaks] == [
        ("s2", "a"),
        ("l2", "b"),
    ]


def test_result_unmatched_ids_follow_breaks() -> None:
    spec = definition(exact())
    side_a = [
        item("s3", "7.00"),
        item("s1", "5.00", reference="R1"),
        item("s2", "6.00"),
    ]
    side_b = [ledger("l1", "5.00", reference="R1"), ledger("l2", "1.00")]
    result = match_transactions(spec, side_a, side_b)

    found = result.unmatched_ids()

    breaks = result.breaks(opened_at=datetime(2024, 3, 1, tzinfo=UTC))
    assert found == [entry.transaction_id for entry in breaks]
    assert found == ["s2", "s3", "l2"]
