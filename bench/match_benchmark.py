"""Benchmark the matching engine on generated statements and ledgers of N lines.

For each size the script generates a seeded statement of N lines over many accounts
and currencies and the ledger derived from it, with a truth file. Then it runs, each
in a fresh subprocess so that peak RSS belongs to that run alone:

- `core`: the engine with an exact reference pass and a tolerance pass;
- `all`: the engine with every default pass (exact, grouped by reference, fuzzy
  reference, tolerance, grouped by subset sum);
- `pandas`: a plain pandas baseline (exact `merge`, then `merge_asof` on amount by
  account with a tolerance and a date-window filter).

It reports seconds (matching only, without loading the input), peak RSS, precision
and recall per pass and overall, and the share of items left for people (unmatched
or in a proposed group). Run from the repository root:

    .venv/bin/python bench/match_benchmark.py --sizes 10000,100000,1000000

With `--scan` the engine variants read the parquet files lazily and match
partitions of whole accounts (`scan_partitions`, `match_partitions`, two partitions
at a time), and keep only integer id pairs of each partition's groups, so that peak
RSS contains a few partitions instead of both whole sides:

    .venv/bin/python bench/match_benchmark.py --sizes 10000000 --variants core,all \
        --scan

The ledger follows the rules of `recon_platform.ledger_generator`: missing lines,
ledger-only entries, fees, booking lags, value date shifts and reference rewrites.
It is computed with polars over whole columns instead, because `generate_ledger`
walks `Transaction` objects one by one: it took 25 s for 100,000 lines on the
two-core development machine, which makes about 40 minutes for 10,000,000.
Two differences are added that the platform generator does not make, so that the
fuzzy and grouped passes have work. The `typo` rate changes one character of a
ledger reference, and the `split` rate books a statement line as two or three
ledger entries, keeping the reference for half of them. A split's truth has one
row per part. Amounts are log-normal (median 2,000 units) over 1 account per 5,000
lines, with a few busy accounts. This is a benchmark, not a test.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

MIB = 1024 * 1024
FIRST_DAY = date(2024, 6, 3)
DAYS = 30
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "USD", "GBP", "CHF", "JPY", "KWD")
SCALE = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "KWD": 3}
ROW_GROUP_ROWS = 100_000
# Items of both sides per partition of a --scan run. On the 1,000,000-line data a
# --scan run with this value peaked at 0.7 GB while partitions ran one at a time,
# against 1.6 GB for one run over all 2,000,000 items.
SCAN_PARTITION_ROWS = 500_000
INVOICE = r"(?i)^\s*(?:inv[-\s]*)?(.+)$"
# Rates of `GeneratorOptions` in recon_platform.ledger_generator, plus the two
# benchmark-only differences described in the module docstring.
RATES = {
    "missing": 0.02,
    "ledger_only": 0.02,
    "fee": 0.05,
    "value_shift": 0.10,
    "reference_change": 0.60,
    "typo": 0.01,
    "split": 0.01,
}

CORE_PASSES = """
  - name: reference
    kind: exact
    reference:
      side_a: {pattern: 'PATTERN'}
      side_b: {pattern: 'PATTERN'}
  - name: amount-and-date
    kind: tolerance
    amount_tolerance: 5.00
    date_window_days: 3
    thresholds: {auto_confirm: 0.8}
""".replace("PATTERN", INVOICE)

ALL_PASSES = """
  - name: reference
    kind: exact
    reference:
      side_a: {pattern: 'PATTERN'}
      side_b: {pattern: 'PATTERN'}
  - name: reference-split
    kind: exact
    grouping: one_to_many
    max_group_size: 3
    reference:
      side_a: {pattern: 'PATTERN'}
      side_b: {pattern: 'PATTERN'}
  - name: fuzzy-reference
    kind: fuzzy
    min_similarity: 0.8
    amount_tolerance: 5.00
    date_window_days: 3
    thresholds: {auto_confirm: 0.5}
    reference:
      side_a: {pattern: 'PATTERN'}
      side_b: {pattern: 'PATTERN'}
  - name: amount-and-date
    kind: tolerance
    amount_tolerance: 5.00
    date_window_days: 3
    thresholds: {auto_confirm: 0.8}
  - name: amount-split
    kind: tolerance
    grouping: one_to_many
    max_group_size: 3
    max_group_candidates: 8
    amount_tolerance: 0
    date_window_days: 3
    thresholds: {auto_confirm: 1}
""".replace("PATTERN", INVOICE)


def _accounts(count: int) -> pl.DataFrame:
    """Return `count` statement accounts, IBAN-like, each with one currency."""
    index = pl.int_range(0, count, dtype=pl.Int64)
    return pl.select(
        account_index=index,
        account=pl.format(
            "DE{}BANK{}", index % 90 + 10, index.cast(pl.String).str.zfill(10)
        ),
        currency=pl.lit(pl.Series(CURRENCIES)).gather(index % len(CURRENCIES)),
    )


def _ledger_account(account: pl.Expr) -> pl.Expr:
    """Return the ledger's account number of a statement account."""
    return (account.str.slice(-10).cast(pl.Int64) + 100_000).cast(pl.String)


def generate_statement(size: int, *, seed: int) -> pl.DataFrame:
    """Return `size` statement lines in the engine's `TRANSACTION_SCHEMA`."""
    rng = np.random.default_rng(seed)
    accounts = _accounts(max(8, size // 5000))
    # A few busy accounts and a long tail: weight 1 / sqrt(rank).
    weights = 1 / np.sqrt(np.arange(1, accounts.height + 1))
    picked = rng.choice(accounts.height, size=size, p=weights / weights.sum())
    style = rng.integers(0, 10, size=size)
    index = np.arange(size)
    frame = pl.DataFrame(
        {
            "account_index": picked,
            "index": index,
            "style": style,
            "random_number": rng.integers(0, 10**8, size=size),
            # Log-normal magnitudes, median 2,000 units, 95 % between about 90
            # and 45,000 units, a common model of payment amounts.
            "units": np.exp(rng.normal(np.log(2_000), 1.6, size=size)),
            "debit": rng.random(size) < 0.5,
            "day": rng.integers(0, DAYS, size=size),
        }
    ).join(accounts, on="account_index", how="left")
    scale = pl.col("currency").replace_strict(SCALE, return_dtype=pl.Int64)
    magnitude = (pl.col("units") * pl.lit(10).pow(scale)).cast(pl.Int64) + 1
    reference = (
        pl.when(pl.col("style") == 0)
        .then(pl.lit("NONREF"))
        .when(pl.col("style") == 1)
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("style") < 5)
        .then(pl.format("E2E-2024-{}", pl.col("index").cast(pl.String).str.zfill(8)))
        .when(pl.col("style") < 8)
        .then(pl.col("random_number").cast(pl.String).str.zfill(9))
        .otherwise(pl.format("RF{}{}", pl.col("index") % 90 + 10, pl.col("index")))
    )
    return frame.select(
        transaction_id=pl.format("ST{}", pl.col("index").cast(pl.String).str.zfill(8)),
        record_kind=pl.lit("statement"),
        source_format=pl.lit("mt940"),
        account="account",
        currency="currency",
        amount_minor=pl.when("debit").then(-magnitude).otherwise(magnitude),
        value_date=pl.lit(FIRST_DAY) + pl.duration(days="day"),
        booking_date=pl.lit(None, dtype=pl.Date),
        customer_reference=reference,
        bank_reference=pl.lit(None, dtype=pl.String),
        end_to_end_id=pl.lit(None, dtype=pl.String),
        remittance_info=pl.format("Invoice payment {}", "index"),
    )


def _day_offset(rng: np.random.Generator, size: int, max_days: int) -> np.ndarray:
    days = rng.integers(1, max_days + 1, size=size)
    return np.where(rng.random(size) < 0.5, days, -days)


def _rewritten(reference: pl.Expr, style: pl.Expr, zeros: pl.Expr) -> pl.Expr:
    """Rewrite a reference in the five styles of the platform's ledger generator."""
    plain = reference.str.replace_all(r"[^0-9A-Za-z]", "")
    grouped = plain.str.replace_all(r"(.{4})", "$1 ").str.strip_chars(" ")
    dashed = reference.str.replace_all(r"[^0-9A-Za-z]+", "-").str.strip_chars("-")
    prefixed = (
        pl.when(reference.str.to_uppercase().str.starts_with("INV"))
        .then(reference)
        .otherwise(pl.lit("INV-") + reference)
    )
    return (
        pl.when(style == 0)
        .then(reference.str.to_lowercase())
        .when(style == 1)
        .then(grouped)
        .when(style == 2)
        .then(dashed.str.to_uppercase())
        .when(style == 3)
        .then(pl.lit("0").repeat_by(zeros).list.join("") + reference)
        .otherwise(prefixed)
    )


def generate_ledger(
    statement: pl.DataFrame, *, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the ledger frame and the truth pairs (ledger id, statement id)."""
    rng = np.random.default_rng(seed + 1)
    size = statement.height
    draws = pl.DataFrame(
        {
            "missing": rng.random(size) < RATES["missing"],
            "fee_draw": rng.random(size) < RATES["fee"],
            "fee_units": rng.uniform(0.10, 5.00, size=size),
            "lag": _day_offset(rng, size, 3),
            "shift": np.where(
                rng.random(size) < RATES["value_shift"], _day_offset(rng, size, 2), 0
            ),
            "change": rng.random(size) < RATES["reference_change"],
            "change_style": rng.integers(0, 5, size=size),
            "zeros": rng.integers(1, 4, size=size),
            "typo": rng.random(size) < RATES["typo"],
            "typo_at": rng.random(size),
            "split": rng.random(size) < RATES["split"],
            "parts": rng.integers(2, 4, size=size),
            "keep_reference": rng.random(size) < 0.5,
        }
    )
    scale = pl.col("currency").replace_strict(SCALE, return_dtype=pl.Int64)
    fee = (pl.col("fee_units") * pl.lit(10).pow(scale)).cast(pl.Int64).clip(1)
    magnitude = pl.col("amount_minor").abs() + pl.when("fee_draw").then(fee).otherwise(
        0
    )
    raw = pl.col("customer_reference")
    usable = pl.when(raw.is_in(["NONREF", "NOTPROVIDED"])).then(None).otherwise(raw)
    reference = (
        pl.when("change")
        .then(_rewritten(usable, pl.col("change_style"), pl.col("zeros")))
        .otherwise(usable)
    )
    position = (pl.col("typo_at") * pl.col("reference").str.len_chars()).cast(pl.Int64)
    typo = pl.concat_str(
        [
            pl.col("reference").str.slice(0, position),
            pl.lit("X"),
            pl.col("reference").str.slice(position + 1),
        ]
    )
    base = (
        pl.concat([statement, draws], how="horizontal")
        .filter(~pl.col("missing"))
        .with_columns(ledger_account=_ledger_account(pl.col("account")))
        .with_columns(
            magnitude=magnitude,
            reference=reference,
        )
        .with_columns(
            reference=pl.when(
                pl.col("typo") & (pl.col("reference").str.len_chars() > 5)
            )
            .then(typo)
            .otherwise("reference")
        )
    )
    # A split books the amount as parts of 1, 2 (and 3) shares, the remainder on the
    # last part, so that no two parts are equal.
    parts = pl.when("split").then(pl.col("parts")).otherwise(1)
    exploded = base.with_columns(part=pl.int_ranges(0, parts), count=parts).explode(
        "part"
    )
    shares = pl.col("count") * (pl.col("count") + 1) // 2
    share = pl.col("magnitude") * (pl.col("part") + 1) // shares
    # Parts number at most three, so the shares before the last are none, 1, or
    # 1 and 2.
    before_last = (
        pl.when(pl.col("count") == 2)
        .then(pl.col("magnitude") // shares)
        .when(pl.col("count") == 3)
        .then(pl.col("magnitude") // shares + pl.col("magnitude") * 2 // shares)
        .otherwise(0)
    )
    part_amount = (
        pl.when(pl.col("part") == pl.col("count") - 1)
        .then(pl.col("magnitude") - before_last)
        .otherwise(share)
    )
    sign = pl.when(pl.col("amount_minor") < 0).then(-1).otherwise(1)
    drop_reference = (pl.col("count") > 1) & ~pl.col("keep_reference")
    derived = exploded.select(
        statement_id="transaction_id",
        account="ledger_account",
        currency="currency",
        amount_minor=sign * part_amount,
        value_date=pl.col("value_date") + pl.duration(days="shift"),
        booking_date=pl.col("value_date") + pl.duration(days="lag"),
        customer_reference=pl.when(drop_reference).then(None).otherwise("reference"),
        remittance_info="remittance_info",
    )
    only_count = round(size * RATES["ledger_only"])
    template = statement.sample(only_count, with_replacement=True, seed=seed + 2)
    only_amount = rng.integers(100, 1_000_000, size=only_count)
    ledger_only = template.select(
        statement_id=pl.lit(None, dtype=pl.String),
        account=_ledger_account(pl.col("account")),
        currency="currency",
        amount_minor=pl.Series(
            only_amount * np.where(rng.random(only_count) < 0.5, 1, -1)
        ),
        value_date="value_date",
        booking_date="value_date",
        customer_reference=pl.format(
            "ADJ-{}", pl.int_range(1, only_count + 1).cast(pl.String).str.zfill(5)
        ),
        remittance_info=pl.lit("Manual adjustment"),
    )
    ledger = (
        pl.concat([derived, ledger_only])
        .with_row_index("draft")
        .sort("booking_date", "draft")
        .with_columns(
            transaction_id=pl.format(
                "JE{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8)
            )
        )
    )
    truth = ledger.filter(pl.col("statement_id").is_not_null()).select(
        "statement_id", ledger_id="transaction_id"
    )
    frame = ledger.select(
        "transaction_id",
        record_kind=pl.lit("ledger"),
        source_format=pl.lit("ledger-csv"),
        account="account",
        currency="currency",
        amount_minor="amount_minor",
        value_date="value_date",
        booking_date="booking_date",
        customer_reference="customer_reference",
        bank_reference=pl.lit(None, dtype=pl.String),
        end_to_end_id=pl.lit(None, dtype=pl.String),
        remittance_info="remittance_info",
    )
    return frame, truth


def _definition_text(statement: pl.DataFrame, passes: str) -> str:
    pairs = (
        statement.select("account")
        .unique()
        .sort("account")
        .with_columns(ledger_account=_ledger_account(pl.col("account")))
    )
    lines = [
        "id: bench",
        "name: Benchmark nostro accounts",
        "bank_id: bank-1",
        "side_a: {record_kind: statement, account_pattern: '.*'}",
        "side_b: {record_kind: ledger, account_pattern: '.*'}",
        "account_pairs:",
    ]
    for account, ledger_account in pairs.select("account", "ledger_account").rows():
        lines.append(f'  - {{side_a: {account}, side_b: "{ledger_account}"}}')
    lines.append("passes:")
    return "\n".join(lines) + passes


def _quality(
    groups: pl.DataFrame, truth: pl.DataFrame, *, sides: tuple[int, int]
) -> dict[str, Any]:
    """Return precision and recall per pass over cross-side pairs, and the overall."""
    pairs = (
        groups.select("pass_name", "status", "a_transaction_ids", "b_transaction_ids")
        .explode("a_transaction_ids")
        .explode("b_transaction_ids")
        .rename({"a_transaction_ids": "statement_id", "b_transaction_ids": "ledger_id"})
        .join(
            truth.with_columns(true=pl.lit(True)),
            on=["statement_id", "ledger_id"],
            how="left",
        )
        .with_columns(pl.col("true").fill_null(False))
    )
    confirmed = pairs.filter(pl.col("status") == "confirmed")
    report: dict[str, Any] = {"by_pass": {}}
    for (name,), part in confirmed.group_by("pass_name", maintain_order=True):
        report["by_pass"][name] = {
            "pairs": part.height,
            "precision": part.get_column("true").mean(),
            "recall": part.get_column("true").sum() / truth.height,
        }
    found = confirmed.get_column("true").sum()
    report["precision"] = found / confirmed.height if confirmed.height else 1.0
    report["recall"] = found / truth.height
    proposed = groups.filter(pl.col("status") == "proposed")
    in_review = (
        proposed.get_column("a_transaction_ids").list.len().sum()
        + proposed.get_column("b_transaction_ids").list.len().sum()
    )
    report["proposed_items"] = int(in_review)
    report["sides"] = sides
    return report


def _run_engine(data: Path, passes: str) -> dict[str, Any]:
    from recon_matcher.definitions import parse_definitions
    from recon_matcher.engine import run_passes

    statement = pl.read_parquet(data / "statement.parquet")
    ledger = pl.read_parquet(data / "ledger.parquet")
    truth = pl.read_parquet(data / "truth.parquet")
    text = _definition_text(statement, CORE_PASSES if passes == "core" else ALL_PASSES)
    definition = parse_definitions(text)[0]
    loaded_rss = _peak_rss_mib()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = run_passes(definition, statement, ledger)
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_started
    # Peak RSS is monotonic, so it is read before the scoring below adds its own.
    matched_rss = _peak_rss_mib()
    report = _quality(result.groups, truth, sides=(statement.height, ledger.height))
    unmatched = result.unmatched_a.height + result.unmatched_b.height
    report["unmatched_items"] = unmatched
    report["reasons"] = dict(
        result.reasons.group_by("reason").len().sort("reason").rows()
    )
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "loaded_rss_mib": loaded_rss,
        "matched_rss_mib": matched_rss,
        **report,
    }


def _run_engine_scan(data: Path, passes: str, *, partition_rows: int) -> dict[str, Any]:
    """Match partitions scanned from the parquet files and keep only compact pairs.

    Each partition's groups shrink to integer id pairs with pass and status codes
    as soon as the partition is done, so peak RSS contains the partitions that
    `match_partitions` holds at once (two, and four being read) and not both sides.
    `seconds` includes reading the partitions, because reading is part of the
    partitioned run.
    """
    from recon_matcher.definitions import parse_definitions
    from recon_matcher.engine import match_partitions, scan_partitions

    statement = pl.scan_parquet(data / "statement.parquet")
    ledger = pl.scan_parquet(data / "ledger.parquet")
    accounts = statement.select("account").unique().collect()
    text = _definition_text(accounts, CORE_PASSES if passes == "core" else ALL_PASSES)
    definition = parse_definitions(text)[0]
    names = [spec.name for spec in definition.passes]
    loaded_rss = _peak_rss_mib()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    parts = scan_partitions(
        definition, statement, ledger, partition_rows=partition_rows
    )
    compact: list[pl.DataFrame] = []
    unmatched = 0
    reasons: dict[str, int] = {}
    for result in match_partitions(definition, parts):
        compact.append(_compact_groups(result.groups, names))
        unmatched += result.unmatched_a.height + result.unmatched_b.height
        for reason, count in result.reasons.group_by("reason").len().rows():
            reasons[reason] = reasons.get(reason, 0) + count
        del result
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_started
    matched_rss = _peak_rss_mib()
    groups = _expand_compact(pl.concat(compact), names)
    truth = pl.read_parquet(data / "truth.parquet").select(
        pl.col(name).str.slice(2).cast(pl.Int64)
        for name in ("statement_id", "ledger_id")
    )
    sides = (
        statement.select(pl.len()).collect().item(),
        ledger.select(pl.len()).collect().item(),
    )
    report = _quality(groups, truth, sides=sides)
    report["unmatched_items"] = unmatched
    report["reasons"] = dict(sorted(reasons.items()))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "loaded_rss_mib": loaded_rss,
        "matched_rss_mib": matched_rss,
        "partition_rows": partition_rows,
        **report,
    }


def _id_number(column: str) -> pl.Expr:
    """Return the number inside benchmark ids such as ST00000042 or JE00000042."""
    return pl.col(column).list.eval(pl.element().str.slice(2).cast(pl.Int64))


def _compact_groups(groups: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Shrink groups to integer ids and pass and status codes."""
    return groups.select(
        pass_index=pl.col("pass_name").replace_strict(
            {name: index for index, name in enumerate(names)}, return_dtype=pl.UInt8
        ),
        confirmed=pl.col("status") == "confirmed",
        a_numbers=_id_number("a_transaction_ids"),
        b_numbers=_id_number("b_transaction_ids"),
    )


def _expand_compact(compact: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Rebuild the columns that `_quality` reads, with integer ids."""
    status = (
        pl.when("confirmed").then(pl.lit("confirmed")).otherwise(pl.lit("proposed"))
    )
    return compact.select(
        pass_name=pl.col("pass_index").replace_strict(
            dict(enumerate(names)), return_dtype=pl.String
        ),
        status=status,
        a_transaction_ids="a_numbers",
        b_transaction_ids="b_numbers",
    )


def _normalized(series: Any) -> Any:
    text = series.fillna("").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    text = text.str.replace(r"^INV", "", regex=True).str.lstrip("0")
    return text.mask(text.isin(["", "NONREF", "NOTPROVIDED"]))


def _to_pandas(frame: pl.DataFrame) -> Any:
    """Convert through numpy, because polars' own `to_pandas` needs pyarrow."""
    import pandas as pd

    return pd.DataFrame({name: frame[name].to_numpy() for name in frame.columns})


def _run_pandas(data: Path) -> dict[str, Any]:
    import pandas as pd

    statement = pl.read_parquet(data / "statement.parquet")
    ledger = pl.read_parquet(data / "ledger.parquet")
    truth = pl.read_parquet(data / "truth.parquet")
    a = _to_pandas(
        statement.with_columns(ledger_account=_ledger_account(pl.col("account")))
    )
    b = _to_pandas(ledger.rename({"account": "ledger_account"}))
    loaded_rss = _peak_rss_mib()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    a["reference"] = _normalized(a["customer_reference"])
    b["reference"] = _normalized(b["customer_reference"])
    keys = ["ledger_account", "currency", "amount_minor", "reference"]
    exact = a.dropna(subset=["reference"]).merge(
        b.dropna(subset=["reference"]), on=keys, suffixes=("_a", "_b")
    )
    exact = exact.drop_duplicates("transaction_id_a").drop_duplicates(
        "transaction_id_b"
    )
    rest_a = a[~a["transaction_id"].isin(exact["transaction_id_a"])]
    rest_b = b[~b["transaction_id"].isin(exact["transaction_id_b"])]
    near = pd.merge_asof(
        rest_a.sort_values("amount_minor"),
        rest_b.sort_values("amount_minor").assign(b_amount=lambda f: f["amount_minor"]),
        on="amount_minor",
        by=["ledger_account", "currency"],
        tolerance=500,
        direction="nearest",
        suffixes=("_a", "_b"),
    ).dropna(subset=["transaction_id_b"])
    days = (near["value_date_b"] - near["value_date_a"]).dt.days.abs()
    near = near[days <= 3].drop_duplicates("transaction_id_b")
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_started
    matched_rss = _peak_rss_mib()
    rows = [
        ("exact", exact["transaction_id_a"], exact["transaction_id_b"]),
        ("merge_asof", near["transaction_id_a"], near["transaction_id_b"]),
    ]
    groups = pl.concat(
        pl.DataFrame(
            {
                "pass_name": name,
                "status": "confirmed",
                "a_transaction_ids": [[value] for value in left.tolist()],
                "b_transaction_ids": [[value] for value in right.tolist()],
            }
        )
        for name, left, right in rows
    )
    report = _quality(groups, truth, sides=(statement.height, ledger.height))
    report["unmatched_items"] = statement.height + ledger.height - 2 * groups.height
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "loaded_rss_mib": loaded_rss,
        "matched_rss_mib": matched_rss,
        **report,
    }


def _cpu_seconds() -> float:
    """Return user plus system CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(arguments: argparse.Namespace) -> int:
    data = Path(arguments.data)
    if arguments.worker == "generate":
        statement = generate_statement(arguments.size, seed=arguments.seed)
        ledger, truth = generate_ledger(statement, seed=arguments.seed)
        # Sorted by account, so that a partitioned scan can skip the row groups of
        # other accounts by their statistics.
        statement.sort("account").write_parquet(
            data / "statement.parquet", row_group_size=ROW_GROUP_ROWS
        )
        ledger.sort("account").write_parquet(
            data / "ledger.parquet", row_group_size=ROW_GROUP_ROWS
        )
        truth.write_parquet(data / "truth.parquet")
        report: dict[str, Any] = {"ledger": ledger.height, "truth": truth.height}
    elif arguments.worker == "pandas":
        report = _run_pandas(data)
    elif arguments.scan:
        report = _run_engine_scan(
            data, arguments.worker, partition_rows=arguments.partition_rows
        )
    else:
        report = _run_engine(data, arguments.worker)
    report["peak_rss_mib"] = _peak_rss_mib()
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


def _subprocess(
    worker: str, data: Path, size: int, seed: int, options: list[str]
) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        worker,
        "--data",
        str(data),
        "--sizes",
        str(size),
        "--seed",
        str(seed),
        *options,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"worker {worker} failed for size {size}:\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    report: dict[str, Any] = json.loads(lines[-1])
    report["wall_seconds"] = time.perf_counter() - started
    report["pass_seconds"] = _pass_seconds(lines[:-1] + done.stderr.splitlines())
    return report


def _pass_seconds(log_lines: list[str]) -> dict[str, float]:
    """Sum the `seconds` of each pass from the engine's `matcher.pass.finished` logs."""
    totals: dict[str, float] = {}
    for line in log_lines:
        if "matcher.pass.finished" not in line:
            continue
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        name = fields.get("pass_name", "?")
        totals[name] = totals.get(name, 0.0) + float(fields.get("seconds", "0"))
    return totals


def _machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "polars": pl.__version__,
    }


def _scan_options(arguments: argparse.Namespace) -> list[str]:
    if not arguments.scan:
        return []
    return ["--scan", "--partition-rows", str(arguments.partition_rows)]


def main(argv: list[str] | None = None) -> int:
    """Generate data, run every variant per size in subprocesses, print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated statement line counts, one run each",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the generators")
    parser.add_argument(
        "--variants",
        default="core,all,pandas",
        help="comma-separated variants to run: core, all, pandas",
    )
    parser.add_argument("--output", type=Path, help="file to append JSON lines to")
    parser.add_argument(
        "--scan",
        action="store_true",
        help="engine variants scan the parquet files and match one account "
        "partition at a time (match_partitions) instead of loading both sides",
    )
    parser.add_argument(
        "--partition-rows",
        type=int,
        default=SCAN_PARTITION_ROWS,
        help="items of both sides per partition with --scan (default %(default)s)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker:
        arguments.size = int(arguments.sizes)
        return _worker(arguments)

    sys.stdout.write(json.dumps(_machine()) + "\n")
    for size in (int(text) for text in arguments.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="match-bench-") as directory:
            data = Path(directory)
            generated = _subprocess("generate", data, size, arguments.seed, [])
            for variant in arguments.variants.split(","):
                options = _scan_options(arguments) if variant != "pandas" else []
                report = _subprocess(variant, data, size, arguments.seed, options)
                line = json.dumps({"size": size, "variant": variant, **report})
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
                if arguments.output:
                    with arguments.output.open("a", encoding="utf-8") as out:
                        out.write(line + "\n")
            del generated
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
