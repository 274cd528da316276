"""Partitioned runs: passes per group of accounts give the same groups."""

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from engine_factories import definition, exact, item, ledger, tolerance
from recon_common.events import RecordKind, Transaction
from recon_matcher.definitions import (
    AccountPair,
    Definition,
    ExactPass,
    SideFilter,
    TolerancePass,
)
from recon_matcher.engine import (
    FrameError,
    MatchResult,
    combine_results,
    match_partitions,
    plan_partitions,
    run_passes,
    scan_partitions,
    split_frames,
    transactions_to_frame,
)

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


def test_scan_partitions_same_groups(tmp_path: Path) -> None:
    spec, side_a, side_b = _spec_and_frames(exact(), tolerance(amount_tolerance="1"))
    side_a.write_parquet(tmp_path / "a.parquet")
    side_b.write_parquet(tmp_path / "b.parquet")
    scanned_a = pl.scan_parquet(tmp_path / "a.parquet")
    scanned_b = pl.scan_parquet(tmp_path / "b.parquet")

    parts = scan_partitions(spec, scanned_a, scanned_b, partition_rows=10)
    results = list(match_partitions(spec, parts))
    parted = combine_results(spec, results)
    whole = run_passes(spec, side_a, side_b)

    assert len(results) == 2
    assert _group_set(parted) == _group_set(whole)
    assert parted.break_reasons() == whole.break_reasons()


def test_plan_partitions_keeps_pairs_together() -> None:
    spec, side_a, side_b = _spec_and_frames(exact())

    plans = plan_partitions(
        spec,
        side_a.group_by("account").len(),
        side_b.group_by("account").len(),
        partition_rows=1,
    )

    found = {(tuple(plan.accounts_a), tuple(plan.accounts_b)) for plan in plans}
    assert found == {((a,), (b,)) for a, b in PAIRS}


def test_match_partitions_ordinals_unique() -> None:
    spec, side_a, side_b = _spec_and_frames(tolerance(amount_tolerance="1"))
    parts = split_frames(spec, side_a, side_b, partition_rows=10)

    parted = combine_results(spec, match_partitions(spec, parts))

    ordinals = parted.groups.get_column("a_ordinals").explode()
    assert ordinals.n_unique() == ordinals.len()
    assert ordinals.len() == 12


def test_split_frames_null_account_first() -> None:
    spec, side_a, side_b = _spec_and_frames(exact())
    orphan = transactions_to_frame([item("s-none", "5.00")]).with_columns(
        account=pl.lit(None, dtype=pl.String)
    )

    parts = list(
        split_frames(spec, pl.concat([side_a, orphan]), side_b, partition_rows=10)
    )

    first_ids = parts[0][0].get_column("transaction_id").to_list()
    assert "s-none" in first_ids
    assert sum(part_a.height for part_a, _ in parts) == side_a.height + 1


def test_partitioned_run_duplicate_ids_rejected() -> None:
    spec, side_a, side_b = _spec_and_frames(exact())
    repeated = pl.concat([side_a, side_a.head(1)])

    with pytest.raises(FrameError, match="more than once"):
        run_passes(spec, repeated, side_b, partition_rows=10)


def test_combine_results_no_partitions() -> None:
    spec, side_a, side_b = _spec_and_frames(exact())

    combined = combine_results(spec, [])

    assert combined.groups.height == 0
    assert combined.unmatched_a.height == 0
    assert combined.reasons.height == 0


def test_unmatched_sorted_by_transaction_id() -> None:
    spec, side_a, side_b = _spec_and_frames(exact())
    reversed_a = side_a.reverse()

    whole = run_passes(spec, reversed_a, side_b)
    parted = run_passes(spec, reversed_a, side_b, partition_rows=10)

    expected = sorted(side_a.get_column("transaction_id").to_list())
    assert whole.unmatched_a.get_column("transaction_id").to_list() == expected
    assert parted.unmatched_a.get_column("transaction_id").to_list() == expected


def test_match_partitions_workers_same_result() -> None:
    spec, side_a, side_b = _spec_and_frames(exact(), tolerance(amount_tolerance="1"))
    parts = list(split_frames(spec, side_a, side_b, partition_rows=4))

    serial = list(match_partitions(spec, parts, workers=1))
    overlapped = list(match_partitions(spec, parts, workers=2))

    assert len(overlapped) == len(parts)
    assert [result.groups.to_dicts() for result in overlapped] == [
        result.groups.to_dicts() for result in serial
    ]


def test_match_partitions_reads_one_partition_ahead() -> None:
    spec, side_a, side_b = _spec_and_frames(exact())
    # The same two partitions three times: ordinals still continue, and only how
    # many are taken from the iterator matters here.
    parts = list(split_frames(spec, side_a, side_b, partition_rows=4)) * 3
    read: list[int] = []

    def counted() -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        for index, part in enumerate(parts):
            read.append(index)
            yield part

    results = match_partitions(spec, counted(), workers=2)
    next(results)

    assert read == [0, 1]


def test_scan_partitions_read_together_same_rows(tmp_path: Path) -> None:
    spec, side_a, side_b = _spec_and_frames(exact())
    side_a.write_parquet(tmp_path / "a.parquet")
    side_b.write_parquet(tmp_path / "b.parquet")
    scanned_a = pl.scan_parquet(tmp_path / "a.parquet")
    scanned_b = pl.scan_parquet(tmp_path / "b.parquet")

    alone = list(
        scan_partitions(
            spec, scanned_a, scanned_b, partition_rows=1, partitions_per_read=1
        )
    )
    together = list(
        scan_partitions(
            spec, scanned_a, scanned_b, partition_rows=1, partitions_per_read=3
        )
    )

    assert len(together) == len(alone) == 2
    for (alone_a, alone_b), (together_a, together_b) in zip(
        alone, together, strict=True
    ):
        assert together_a.sort("transaction_id").equals(alone_a.sort("transaction_id"))
        assert together_b.sort("transaction_id").equals(alone_b.sort("transaction_id"))
