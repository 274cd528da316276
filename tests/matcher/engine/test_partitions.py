"""Partitioned runs: passes per group of accounts give the same groups."""

import polars as pl
from engine_factories import definition, exact, item, ledger, tolerance
from recon_common.events import RecordKind, Transaction
from recon_matcher.definitions import (
    AccountPair,
    Definition,
    ExactPass,
    SideFilter,
    TolerancePass,
)
from recon_matcher.engine import MatchResult, run_passes, transactions_to_frame

PAIRS = [("NL91ABNA0417164300", "100200"), ("DE89370400440532013000", "100300")]


def _group_set(result: MatchResult) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    return {(group.side_a_ids, group.side_b_ids) for group in result.group_records()}


def _spec_and_frames(
    *passes: ExactPass | TolerancePass,
) -> tuple[Definition, pl.DataFrame, pl.DataFrame]:
    spec = definition(
        *passes,
        side_a=SideFilter(record_kind=RecordKind.STATEMENT, account_pattern=".*"),
        side_b=SideFilter(record_kind=RecordKind.LEDGER, account_pattern=".*"),
        account_pairs=[AccountPair(side_a=a, side_b=b) for a, b in PAIRS],
    )
    side_a: list[Transaction] = []
    side_b: list[Transaction] = []
    for index in range(12):
        statement_account, ledger_account = PAIRS[index % 2]
        amount = f"{100 + index}.00"
        side_a.append(item(f"s{index:02d}", amount, account=statement_account))
        side_b.append(ledger(f"l{index:02d}", amount, account=ledger_account))
    side_b.append(ledger("l99", "100.00", account=PAIRS[1][1]))
    return spec, transactions_to_frame(side_a), transactions_to_frame(side_b)


def test_partitioned_run_same_groups() -> None:
    spec, side_a, side_b = _spec_and_frames(exact(), tolerance(amount_tolerance="1"))

    whole = run_passes(spec, side_a, side_b)
    parted = run_passes(spec, side_a, side_b, partition_rows=10)

    assert _group_set(parted) == _group_set(whole)
    assert len(_group_set(whole)) == 12
    assert parted.break_reasons() == whole.break_reasons()


def test_partition_skipped_without_account_field() -> None:
    spec, side_a, side_b = _spec_and_frames(exact(fields=["amount", "currency"]))

    whole = run_passes(spec, side_a, side_b)
    parted = run_passes(spec, side_a, side_b, partition_rows=10)

    assert _group_set(parted) == _group_set(whole)
    assert ("s00",) in {group[0] for group in _group_set(whole)}
