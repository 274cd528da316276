"""Warnings about pass settings that validate but cannot take effect."""

from typing import Any

from recon_common.events import RecordKind
from recon_matcher.definitions import Definition, SideFilter
from recon_matcher.definitions.advice import setting_warnings


def definition(*passes: dict[str, Any]) -> Definition:
    return Definition.model_validate(
        {
            "id": "nostro-eur",
            "name": "Nostro EUR",
            "bank_id": "bank-a",
            "side_a": SideFilter(record_kind=RecordKind.STATEMENT, accounts=["DE01"]),
            "side_b": SideFilter(record_kind=RecordKind.LEDGER, accounts=["GL-1"]),
            "passes": list(passes),
        }
    )


def test_advice_group_size_on_one_to_one() -> None:
    found = definition({"name": "amount", "kind": "tolerance", "max_group_size": 5})

    assert setting_warnings(found) == [
        "passes[0] (amount): max_group_size applies only to grouped passes, and "
        "this pass is one_to_one; remove it or set `grouping`"
    ]


def test_advice_both_group_settings_on_one_to_one() -> None:
    found = definition(
        {
            "name": "exact",
            "kind": "exact",
            "max_group_size": 3,
            "max_group_candidates": 10,
        }
    )

    assert setting_warnings(found) == [
        "passes[0] (exact): max_group_candidates and max_group_size apply only to "
        "grouped passes, and this pass is one_to_one; remove them or set `grouping`"
    ]


def test_advice_group_size_above_candidates() -> None:
    found = definition(
        {"name": "exact", "kind": "exact"},
        {
            "name": "split",
            "kind": "tolerance",
            "grouping": "one_to_many",
            "max_group_size": 4,
            "max_group_candidates": 3,
        },
    )

    assert setting_warnings(found) == [
        "passes[1] (split): max_group_size 4 is more than max_group_candidates 3, so "
        "groups of more than 3 items are never found; raise max_group_candidates or "
        "lower max_group_size"
    ]


def test_advice_defaults_give_no_warning() -> None:
    found = definition(
        {"name": "exact", "kind": "exact"},
        {"name": "split", "kind": "tolerance", "grouping": "one_to_many"},
    )

    assert setting_warnings(found) == []
