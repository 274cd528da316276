"""Fuzzy and grouped pass options in definition files."""

from decimal import Decimal

import pytest
from recon_matcher.definitions import (
    DefinitionError,
    FuzzyPass,
    Grouping,
    Similarity,
    TolerancePass,
    parse_definitions,
)

HEADER = (
    "id: d1\nname: D\nbank_id: b\n"
    "side_a: {record_kind: statement, account_pattern: '.*'}\n"
    "side_b: {record_kind: ledger, account_pattern: '.*'}\n"
)


def _error(passes: str) -> str:
    with pytest.raises(DefinitionError) as caught:
        parse_definitions(HEADER + passes, source="defs.yaml")
    return str(caught.value)


def test_fuzzy_pass_loads_options() -> None:
    text = HEADER + (
        "passes:\n"
        "  - {name: f, kind: fuzzy, similarity: jaro_winkler, min_similarity: 0.85,\n"
        "     amount_tolerance: 1.50, date_window_days: 2}\n"
    )

    step = parse_definitions(text)[0].passes[0]

    assert isinstance(step, FuzzyPass)
    assert step.similarity is Similarity.JARO_WINKLER
    assert step.min_similarity == Decimal("0.85")
    assert step.amount_tolerance == Decimal("1.50")
    assert step.window().days_after == 2


def test_grouped_tolerance_pass_loads() -> None:
    text = HEADER + (
        "passes:\n"
        "  - {name: t, kind: tolerance, grouping: many_to_one, max_group_size: 4,\n"
        "     max_group_candidates: 12}\n"
    )

    step = parse_definitions(text)[0].passes[0]

    assert isinstance(step, TolerancePass)
    assert step.grouping is Grouping.MANY_TO_ONE
    assert step.max_group_size == 4
    assert step.max_group_candidates == 12


def test_tolerance_many_to_many_rejected() -> None:
    message = _error("passes: [{name: t, kind: tolerance, grouping: many_to_many}]")

    assert "cannot search subsets of both sides" in message


def test_fuzzy_grouping_rejected() -> None:
    message = _error("passes: [{name: f, kind: fuzzy, grouping: one_to_many}]")

    assert "pairs one item with one item" in message


def test_grouped_exact_needs_amount() -> None:
    passes = (
        "passes: [{name: e, kind: exact, grouping: one_to_many,"
        " fields: [reference, currency]}]"
    )

    message = _error(passes)

    assert "fields need `amount`" in message


def test_grouped_exact_needs_reference_or_date() -> None:
    passes = (
        "passes: [{name: e, kind: exact, grouping: many_to_many,"
        " fields: [amount, currency, account]}]"
    )

    message = _error(passes)

    assert "fields need `reference` or `value_date`" in message


def test_max_group_size_bounded() -> None:
    message = _error(
        "passes: [{name: t, kind: tolerance, grouping: one_to_many, max_group_size: 9}]"
    )

    assert "passes[0].max_group_size" in message


def test_fuzzy_min_similarity_above_one_rejected() -> None:
    message = _error("passes: [{name: f, kind: fuzzy, min_similarity: 1.5}]")

    assert "passes[0].min_similarity" in message
