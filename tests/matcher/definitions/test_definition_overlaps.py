"""Warnings about two definitions that select the same transactions."""

from typing import Any

from recon_common.events import RecordKind
from recon_matcher.definitions import Definition, ExactPass, SideFilter
from recon_matcher.definitions.overlaps import overlap_warnings


def definition(
    definition_id: str,
    *,
    accounts: list[str] | None = None,
    pattern: str | None = None,
    currencies: list[str] | None = None,
    bank_id: str = "bank-a",
    **side_b: Any,
) -> Definition:
    return Definition(
        id=definition_id,
        name=definition_id,
        bank_id=bank_id,
        side_a=SideFilter(
            record_kind=RecordKind.STATEMENT,
            accounts=accounts or [],
            account_pattern=pattern,
            currencies=currencies or [],
        ),
        side_b=SideFilter(
            record_kind=RecordKind.LEDGER, accounts=side_b.get("ledger", ["GL-9"])
        ),
        passes=[ExactPass.model_validate({"name": "reference", "kind": "exact"})],
    )


def test_overlap_shared_account_warns() -> None:
    new = definition("nostro-2", accounts=["DE01", "DE02"], ledger=["GL-2"])
    old = definition("nostro-1", accounts=["DE02"], ledger=["GL-1"])

    assert overlap_warnings(new, [old, new]) == [
        "side_a: 1 account(s) are also selected by side_a of definition "
        "'nostro-1'; a transaction of both goes to 'nostro-1', whose id sorts first"
    ]


def test_overlap_pattern_matches_listed_account() -> None:
    new = definition("nostro-2", pattern="DE0[0-9]", ledger=["GL-2"])
    old = definition("nostro-1", accounts=["DE05", "FR01"], ledger=["GL-1"])

    warnings = overlap_warnings(new, [old])

    assert len(warnings) == 1
    assert warnings[0].startswith("side_a: 1 account(s) are also selected")


def test_overlap_disjoint_currencies_no_warning() -> None:
    new = definition("nostro-2", accounts=["DE01"], currencies=["EUR"], ledger=["G2"])
    old = definition("nostro-1", accounts=["DE01"], currencies=["USD"], ledger=["G1"])

    assert overlap_warnings(new, [old]) == []


def test_overlap_other_kind_or_bank_no_warning() -> None:
    new = definition("nostro-2", accounts=["GL-1"], ledger=["GL-2"])
    ledger_side = definition("nostro-1", accounts=["DE09"], ledger=["GL-1"])
    other_bank = definition("nostro-3", accounts=["GL-1"], bank_id="bank-b")

    assert overlap_warnings(new, [ledger_side, other_bank]) == []
