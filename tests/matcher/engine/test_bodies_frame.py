"""Frames from stored transaction bodies equal frames from validated transactions."""

from datetime import date
from decimal import Decimal

import pytest
from engine_factories import item, ledger
from hypothesis import given, settings
from hypothesis import strategies as st
from recon_common.events import Transaction
from recon_common.money import AmountError
from recon_matcher.engine import transactions_to_frame
from recon_matcher.engine.frame import TRANSACTION_SCHEMA, bodies_to_frame

CURRENCIES = {"EUR": 2, "JPY": 0, "KWD": 3}
TEXTS = st.one_of(st.none(), st.text(alphabet="aZ09 -/é€", max_size=12))


@st.composite
def transactions(draw: st.DrawFn) -> list[Transaction]:
    count = draw(st.integers(min_value=0, max_value=12))
    found: list[Transaction] = []
    for index in range(count):
        currency = draw(st.sampled_from(sorted(CURRENCIES)))
        units = draw(st.integers(min_value=-(10**12), max_value=10**12))
        amount = Decimal(units).scaleb(-CURRENCIES[currency])
        factory = draw(st.sampled_from([item, ledger]))
        found.append(
            factory(
                f"t-{index}",
                str(amount),
                currency=currency,
                value_date=draw(st.dates(date(2000, 1, 1), date(2040, 12, 31))),
                booking_date=draw(st.none() | st.dates(date(2000, 1, 1))),
                reference=draw(TEXTS),
                bank_reference=draw(TEXTS),
                end_to_end_id=draw(TEXTS),
                remittance_info=draw(TEXTS),
            )
        )
    return found


@settings(max_examples=150, deadline=None)
@given(items=transactions())
def test_bodies_frame_equals_transactions_frame(items: list[Transaction]) -> None:
    bodies = [transaction.model_dump_json() for transaction in items]

    found = bodies_to_frame(bodies)

    assert found.equals(transactions_to_frame(items))


def test_bodies_frame_empty_has_schema() -> None:
    found = bodies_to_frame([])

    assert found.schema == TRANSACTION_SCHEMA


def test_bodies_frame_debit_negative() -> None:
    body = item("t-1", "-12.34").model_dump_json()

    found = bodies_to_frame([body])

    assert found.get_column("amount_minor").to_list() == [-1234]


def test_bodies_frame_rejects_excess_decimals() -> None:
    # A body edited outside the platform, with more decimals than JPY allows.
    body = item("t-1", "5", currency="JPY").model_dump_json()
    edited = body.replace('"amount":"5"', '"amount":"5.5"')

    with pytest.raises(AmountError, match="JPY"):
        bodies_to_frame([edited])
