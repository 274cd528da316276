"""Exact pass: equal fields, reference normalization and regex extraction."""

from datetime import date

from engine_factories import definition, exact, item, ledger
from recon_matcher.engine import MatchResult, match_transactions

INVOICE_PATTERN = r"(?i)^\s*(?:inv[-\s]*)?(.+)$"


def _pairs(result: MatchResult) -> set[tuple[str, str]]:
    records = result.group_records()
    return {(group.side_a_ids[0], group.side_b_ids[0]) for group in records}


def test_exact_equal_fields_match() -> None:
    spec = definition(exact())
    side_a = [item("s1", "100.00", reference="ABC123")]
    side_b = [ledger("l1", "100.00", reference="ABC123")]

    result = match_transactions(spec, side_a, side_b)

    group = result.group_records()[0]
    assert _pairs(result) == {("s1", "l1")}
    assert group.score == 1
    assert group.explanation == (
        "reference, amount, currency and account equal, same date"
    )
    assert result.unmatched_a.height == 0
    assert result.unmatched_b.height == 0


def test_exact_reference_normalized() -> None:
    spec = definition(exact())
    side_a = [item("s1", "100.00", reference="abc-00 123/x")]
    side_b = [ledger("l1", "100.00", reference="ABC00123X")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_leading_zeros_stripped() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="0004711")]
    side_b = [ledger("l1", "10.00", reference="4711")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_leading_zeros_kept_when_disabled() -> None:
    spec = definition(exact(reference={"strip_leading_zeros": False}))
    side_a = [item("s1", "10.00", reference="0004711")]
    side_b = [ledger("l1", "10.00", reference="4711")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_exact_regex_extracts_reference() -> None:
    rule = {"side_b": {"pattern": INVOICE_PATTERN}}
    spec = definition(exact(reference=rule))
    side_a = [item("s1", "10.00", reference="2024-0815")]
    side_b = [ledger("l1", "10.00", reference="inv-2024 0815")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_regex_from_remittance_info() -> None:
    rule = {
        "side_a": {"fields": ["remittance_info"], "pattern": r"/INV/([0-9]+)/"},
    }
    spec = definition(exact(reference=rule))
    side_a = [item("s1", "10.00", remittance_info="PAYMENT /INV/000977/ THANKS")]
    side_b = [ledger("l1", "10.00", reference="977")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_regex_without_match_yields_no_reference() -> None:
    rule = {"side_a": {"fields": ["remittance_info"], "pattern": r"/INV/([0-9]+)/"}}
    spec = definition(exact(reference=rule))
    side_a = [item("s1", "10.00", remittance_info="977")]
    side_b = [ledger("l1", "10.00", reference="977")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_exact_reference_fields_tried_in_order() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="NONREF", end_to_end_id="E2E-77")]
    side_b = [ledger("l1", "10.00", reference="e2e77")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_missing_references_never_match() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="NONREF")]
    side_b = [ledger("l1", "10.00", reference="  -- ")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_exact_amount_difference_rejected() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="R1")]
    side_b = [ledger("l1", "10.01", reference="R1")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_exact_direction_must_agree() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="R1")]
    side_b = [ledger("l1", "-10.00", reference="R1")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_exact_opposite_sign_definition() -> None:
    spec = definition(exact(), side_b_sign="opposite")
    side_a = [item("s1", "10.00", reference="R1")]
    side_b = [ledger("l1", "-10.00", reference="R1")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_currency_must_agree() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="R1", currency="EUR")]
    side_b = [ledger("l1", "10.00", reference="R1", currency="USD")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_exact_unpaired_account_rejected() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="R1")]
    side_b = [ledger("l1", "10.00", reference="R1", account="999999")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == set()


def test_exact_account_pair_with_spaces() -> None:
    spec = definition(exact())
    side_a = [item("s1", "10.00", reference="R1", account="nl91 abna 0417 1643 00")]
    side_b = [ledger("l1", "10.00", reference="R1")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_without_account_field() -> None:
    spec = definition(exact(fields=["reference", "amount", "currency"]))
    side_a = [item("s1", "10.00", reference="R1")]
    side_b = [ledger("l1", "10.00", reference="R1", account="999999")]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l1")}


def test_exact_reference_only_explains_amount() -> None:
    spec = definition(exact(fields=["reference", "currency", "account"]))
    side_a = [item("s1", "10.00", reference="R1")]
    side_b = [ledger("l1", "9.75", reference="R1", value_date=date(2024, 3, 2))]

    result = match_transactions(spec, side_a, side_b)

    explanation = result.group_records()[0].explanation
    assert explanation == (
        "reference, currency and account equal, amount differs by 0.25 EUR, "
        "value dates 1 day apart"
    )


def test_exact_value_date_field() -> None:
    spec = definition(exact(fields=["reference", "amount", "currency", "value_date"]))
    side_a = [item("s1", "10.00", reference="R1")]
    side_b = [
        ledger("l1", "10.00", reference="R1", value_date=date(2024, 3, 2)),
        ledger("l2", "10.00", reference="R1"),
    ]

    result = match_transactions(spec, side_a, side_b)

    assert _pairs(result) == {("s1", "l2")}
