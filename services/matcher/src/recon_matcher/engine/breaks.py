"""Reason codes, amount bands and ageing of the items that no pass grouped.

A reason is chosen per unmatched item in this order:

1. `suspected_duplicate`: another item of the same side has the same account key,
   currency, amount, value date and (non-empty) reference.
2. `amount_outside_tolerance`: an unmatched item of the other side has the same
   account key, currency and reference, but the amount differs by more than the
   largest tolerance of the definition's passes.
3. `date_outside_window`: an unmatched item of the other side has the same account
   key and currency and either the same reference with an amount within tolerance,
   or the same amount, but its date lies outside the widest date window.
4. `no_counterpart`: none of the above.

References are found with the reference rule of the definition's first exact or
fuzzy pass, or the default rule when it has none.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

import polars as pl

from recon_matcher.definitions.models import (
    AmountDateLimits,
    Definition,
    ExactPass,
    FuzzyPass,
    ReferenceRule,
)
from recon_matcher.engine.passes import max_difference
from recon_matcher.engine.reference import with_reference


class BreakReasonCode(StrEnum):
    """The reason an item stayed unmatched, as far as the engine can tell."""

    NO_COUNTERPART = "no_counterpart"
    AMOUNT_OUTSIDE_TOLERANCE = "amount_outside_tolerance"
    DATE_OUTSIDE_WINDOW = "date_outside_window"
    SUSPECTED_DUPLICATE = "suspected_duplicate"


# Upper bounds in whole units of the item's currency, and the band below each.
# The bands do not convert currencies, so 5,000 JPY and 5,000 USD share a band.
# The stored breaks and the reporting filters use the same labels.
AMOUNT_BANDS: Final = (
    (1_000, "under_1k"),
    (10_000, "1k_10k"),
    (100_000, "10k_100k"),
    (1_000_000, "100k_1m"),
)
TOP_BAND: Final = "1m_and_over"

_DUPLICATE_KEYS: Final = (
    "account_key",
    "currency",
    "amount",
    "value_date",
    "reference",
)


def amount_band(amount: Decimal) -> str:
    """Return the band of `amount`'s absolute value, such as `1k_10k`."""
    magnitude = abs(amount)
    for limit, label in AMOUNT_BANDS:
        if magnitude < limit:
            return label
    return TOP_BAND


def amount_band_expr(
    amount: str | pl.Expr = "amount", scale: str | pl.Expr = "scale"
) -> pl.Expr:
    """Return the band of signed minor-unit amounts with their currency's scale."""
    magnitude = (pl.col(amount) if isinstance(amount, str) else amount).abs()
    factor = pl.lit(10, dtype=pl.Int64).pow(
        pl.col(scale) if isinstance(scale, str) else scale
    )
    band: pl.Expr = pl.lit(TOP_BAND)
    for limit, label in reversed(AMOUNT_BANDS):
        band = pl.when(magnitude < factor * limit).then(pl.lit(label)).otherwise(band)
    return band


def ageing_days(value_date: date, as_of: date) -> int:
    """Return the days from `value_date` to `as_of`, negative for a future date."""
    return (as_of - value_date).days


def ageing_expr(as_of: date, column: str = "value_date") -> pl.Expr:
    """Return the days from each item's date in `column` to `as_of`."""
    return (pl.lit(as_of) - pl.col(column)).dt.total_days()


def classify_breaks(
    definition: Definition,
    *,
    side_a: pl.DataFrame,
    side_b: pl.DataFrame,
    unmatched_a: pl.DataFrame,
    unmatched_b: pl.DataFrame,
) -> pl.DataFrame:
    """Return `transaction_id`, `side` and `reason` of every unmatched item."""
    rule = _reference_rule(definition)
    full = {
        "a": with_reference(side_a, rule, "a"),
        "b": with_reference(side_b, rule, "b"),
    }
    open_items = {
        "a": with_reference(unmatched_a, rule, "a"),
        "b": with_reference(unmatched_b, rule, "b"),
    }
    found: list[pl.DataFrame] = []
    for side, other in (("a", "b"), ("b", "a")):
        items = open_items[side]
        duplicates = _duplicates(full[side], items)
        by_reference = _reference_counterparts(definition, items, open_items[other])
        by_amount = _amount_counterparts(definition, items, open_items[other])
        reason = (
            pl.when(pl.col("ordinal").is_in(duplicates.implode()))
            .then(pl.lit(BreakReasonCode.SUSPECTED_DUPLICATE.value))
            .when(pl.col("ordinal").is_in(by_reference["amount"].implode()))
            .then(pl.lit(BreakReasonCode.AMOUNT_OUTSIDE_TOLERANCE.value))
            .when(
                pl.col("ordinal").is_in(by_reference["date"].implode())
                | pl.col("ordinal").is_in(by_amount.implode())
            )
            .then(pl.lit(BreakReasonCode.DATE_OUTSIDE_WINDOW.value))
            .otherwise(pl.lit(BreakReasonCode.NO_COUNTERPART.value))
        )
        found.append(items.select("transaction_id", side=pl.lit(side), reason=reason))
    return pl.concat(found)


def _reference_rule(definition: Definition) -> ReferenceRule:
    for spec in definition.passes:
        if isinstance(spec, ExactPass | FuzzyPass):
            return spec.reference
    return ReferenceRule()


def _duplicates(full: pl.DataFrame, items: pl.DataFrame) -> pl.Series:
    keys = list(_DUPLICATE_KEYS)
    # Only rows with an unmatched item's amount can repeat one, so the group_by
    # runs on those few rows instead of the whole side.
    amounts = items.get_column("amount").drop_nulls().unique()
    repeated = (
        full.filter(pl.col("amount").is_in(amounts.implode()))
        .drop_nulls(keys)
        .group_by(keys)
        .agg(pl.len().alias("count"))
        .filter(pl.col("count") > 1)
    )
    return items.join(repeated, on=keys, how="semi").get_column("ordinal")


def _limits(definition: Definition) -> tuple[list[AmountDateLimits], int, int]:
    specs: list[AmountDateLimits] = [
        spec for spec in definition.passes if isinstance(spec, AmountDateLimits)
    ]
    before = max((spec.window().days_before for spec in specs), default=0)
    after = max((spec.window().days_after for spec in specs), default=0)
    return specs, before, after


def _tolerance_expr(specs: list[AmountDateLimits], currencies: list[str]) -> pl.Expr:
    """Return the largest difference in minor units that any pass allows a pair."""
    limits: list[pl.Expr] = [pl.lit(0, dtype=pl.Int64)]
    for spec in specs:
        by_currency = {
            code: max_difference(spec.tolerance_for(code), code, inclusive=True)
            for code in currencies
        }
        if by_currency:
            limits.append(
                pl.col("currency").replace_strict(by_currency, return_dtype=pl.Int64)
            )
        if spec.amount_tolerance_percent is not None:
            parts_per_million = int(spec.amount_tolerance_percent.scaleb(4))
            share = pl.col("a_amount").abs().cast(pl.Int128) * parts_per_million
            limits.append((share // 1_000_000).cast(pl.Int64))
    return pl.max_horizontal(limits)


def _pairs(items: pl.DataFrame, others: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    left = items.select("ordinal", *on, a_amount="amount", a_date="value_date")
    right = others.select(*on, b_amount="amount", b_date="value_date")
    return left.join(right, on=on, how="inner", nulls_equal=False)


def _reference_counterparts(
    definition: Definition, items: pl.DataFrame, others: pl.DataFrame
) -> dict[str, pl.Series]:
    specs, before, after = _limits(definition)
    pairs = _pairs(items, others, ["account_key", "currency", "reference"])
    currencies = pairs.get_column("currency").unique().drop_nulls().to_list()
    pairs = pairs.with_columns(
        outside_amount=(pl.col("a_amount") - pl.col("b_amount")).abs()
        > _tolerance_expr(specs, currencies)
    )
    # The wider side of the window applies in both directions, because the item
    # may be on either side.
    gap = (pl.col("b_date") - pl.col("a_date")).dt.total_days().abs()
    outside_date = gap > max(before, after)
    per_item = pairs.group_by("ordinal").agg(
        amount=pl.col("outside_amount").all(),
        date=(~pl.col("outside_amount") & outside_date).any(),
    )
    return {
        "amount": per_item.filter("amount").get_column("ordinal"),
        "date": per_item.filter("date").get_column("ordinal"),
    }


def _amount_counterparts(
    definition: Definition, items: pl.DataFrame, others: pl.DataFrame
) -> pl.Series:
    _, before, after = _limits(definition)
    pairs = _pairs(items, others, ["account_key", "currency", "amount"])
    gap = (pl.col("b_date") - pl.col("a_date")).dt.total_days().abs()
    return pairs.filter(gap > max(before, after)).get_column("ordinal").unique()
