"""Groups of whole accounts, so that a run can match one group at a time.

When every pass requires equal account keys, items of different account keys can
never share a group, and neither can they explain each other's break reasons. A
run can then prepare, match and classify one partition of whole account keys at a
time, which bounds the memory of each step by the partition instead of the input.
Both accounts of a pair map to one key, so they always land in the same partition.
Items without an account have a null key and go to the first partition.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import polars as pl

from recon_matcher.definitions.models import Definition, ExactPass, MatchField, Side
from recon_matcher.engine.frame import account_key_map, required_columns

# Partitions read from a scanned source at once. Neighbouring partitions share row
# groups, so reading one partition at a time decoded those row groups again. On the
# 10,000,000-line benchmark (41 partitions) reading took 4.1 s one at a time and
# 2.6 s four at a time, against 1.7 s for reading both whole files.
PARTITIONS_PER_READ: Final = 4


@dataclass(frozen=True, slots=True)
class Partition:
    """The raw account spellings of each side that belong to one partition."""

    accounts_a: list[str]
    accounts_b: list[str]
    with_nulls: bool

    def member(self, side: Side) -> pl.Expr:
        """Return the filter that selects this partition's rows of `side`."""
        accounts = self.accounts_a if side is Side.A else self.accounts_b
        selected = pl.col("account").is_in(
            pl.Series(accounts, dtype=pl.String).implode()
        )
        if self.with_nulls:
            selected = selected | pl.col("account").is_null()
        return selected


def account_bound(definition: Definition) -> bool:
    """Return whether no pass can pair items of different account keys."""
    return all(
        MatchField.ACCOUNT in spec.fields if isinstance(spec, ExactPass) else True
        for spec in definition.passes
    )


def plan_partitions(
    definition: Definition,
    counts_a: pl.DataFrame,
    counts_b: pl.DataFrame,
    *,
    partition_rows: int,
) -> list[Partition]:
    """Split account keys into partitions of about `partition_rows` items of both sides.

    `counts_a` and `counts_b` have one row per raw `account` (null included) with its
    item count in `len`. A key is never split, so a partition can contain up to
    `partition_rows` items plus the items of its first key, minus one.
    """
    keyed = pl.concat(
        [
            _with_keys(definition, Side.A, counts_a),
            _with_keys(definition, Side.B, counts_b),
        ]
    )
    sizes = (
        keyed.group_by("account_key")
        .agg(pl.col("len").sum())
        .sort("account_key", nulls_last=False)
        .with_columns(part=(pl.col("len").cum_sum() - 1) // max(partition_rows, 1))
    )
    keyed = keyed.join(
        sizes.select("account_key", "part"),
        on="account_key",
        how="left",
        nulls_equal=True,
    )
    plans: list[Partition] = []
    for (_,), rows in keyed.group_by("part", maintain_order=True):
        raw = rows.filter(pl.col("account").is_not_null())
        plans.append(
            Partition(
                accounts_a=_accounts(raw, Side.A),
                accounts_b=_accounts(raw, Side.B),
                with_nulls=rows.get_column("account").null_count() > 0,
            )
        )
    return sorted(plans, key=lambda plan: not plan.with_nulls)


def split_frames(
    definition: Definition,
    side_a: pl.DataFrame,
    side_b: pl.DataFrame,
    *,
    partition_rows: int,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """Yield the rows of both in-memory sides partition by partition."""
    plans = plan_partitions(
        definition,
        side_a.group_by("account").len(),
        side_b.group_by("account").len(),
        partition_rows=partition_rows,
    )
    for plan in plans:
        yield side_a.filter(plan.member(Side.A)), side_b.filter(plan.member(Side.B))


def scan_partitions(
    definition: Definition,
    side_a: pl.LazyFrame,
    side_b: pl.LazyFrame,
    *,
    partition_rows: int,
    partitions_per_read: int = PARTITIONS_PER_READ,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """Yield the rows of two lazily scanned sides, partition by partition.

    Each side is read once to count its accounts, then once per
    `partitions_per_read` partitions, whose rows are split in memory. Only the
    columns that the definition reads are collected (`required_columns`), so the
    partitions' unmatched items lack the others. A parquet source sorted by
    account lets the reader skip the row groups of other partitions.
    """
    columns = required_columns(definition)
    plans = plan_partitions(
        definition,
        side_a.group_by("account").len().collect(),
        side_b.group_by("account").len().collect(),
        partition_rows=partition_rows,
    )
    step = max(partitions_per_read, 1)
    for start in range(0, len(plans), step):
        batch = plans[start : start + step]
        read = Partition(
            accounts_a=[account for plan in batch for account in plan.accounts_a],
            accounts_b=[account for plan in batch for account in plan.accounts_b],
            with_nulls=any(plan.with_nulls for plan in batch),
        )
        rows_a = side_a.filter(read.member(Side.A)).select(columns).collect()
        rows_b = side_b.filter(read.member(Side.B)).select(columns).collect()
        if len(batch) == 1:
            yield rows_a, rows_b
            continue
        for plan in batch:
            yield rows_a.filter(plan.member(Side.A)), rows_b.filter(plan.member(Side.B))


def _with_keys(
    definition: Definition, side: Side, counts: pl.DataFrame
) -> pl.DataFrame:
    accounts = counts.get_column("account").drop_nulls()
    keys = account_key_map(definition, side, accounts)
    return counts.select(
        "account",
        pl.col("len").cast(pl.Int64),
        side=pl.lit(side.value),
        account_key=pl.col("account").replace_strict(
            keys, default=None, return_dtype=pl.String
        ),
    )


def _accounts(rows: pl.DataFrame, side: Side) -> list[str]:
    return rows.filter(pl.col("side") == side.value).get_column("account").to_list()
