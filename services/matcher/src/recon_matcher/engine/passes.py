"""Candidate pairs of each pass kind, found with joins instead of per-item loops.

Every function here returns a candidate frame with `CANDIDATE_COLUMNS`, and the
tolerance pass adds `mutually_unique`. Each row is a pair of a side A item and a
side B item that satisfies the pass. It carries the amount difference (A minus B,
in minor units), the days from A's date to B's date, a score in basis points
(10,000 is 1.0) and the explanation an operator reads.
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

import polars as pl
from recon_common.money import minor_units

from recon_matcher.definitions.models import AmountDateLimits, ExactPass, MatchField
from recon_matcher.engine.reference import with_reference

SCORE_SCALE: Final = 10_000

CANDIDATE_COLUMNS: Final = (
    "a_ordinal",
    "b_ordinal",
    "a_transaction_id",
    "b_transaction_id",
    "currency",
    "scale",
    "difference",
    "abs_difference",
    "days",
    "abs_days",
    "score",
    "explanation",
)

_NO_EXPLANATION: Final = pl.lit(None, dtype=pl.String)

# Column of the tolerance pass's candidates that flags mutually unique pairs.
UNIQUE_COLUMN: Final = "mutually_unique"
UNIQUE_PHRASE: Final = ", no other candidate for either item"

_SIDE_COLUMNS: Final = (
    "ordinal",
    "transaction_id",
    "account_key",
    "currency",
    "amount",
    "scale",
    "value_date",
    "booking_date",
)

_FIELD_COLUMN: Final = {
    MatchField.REFERENCE: "reference",
    MatchField.AMOUNT: "amount",
    MatchField.CURRENCY: "currency",
    MatchField.ACCOUNT: "account_key",
    MatchField.VALUE_DATE: "value_date",
}

_FIELD_LABEL: Final = {
    MatchField.REFERENCE: "reference",
    MatchField.AMOUNT: "amount",
    MatchField.CURRENCY: "currency",
    MatchField.ACCOUNT: "account",
    MatchField.VALUE_DATE: "value date",
}


def exact_candidates(
    spec: ExactPass,
    side_a: pl.DataFrame,
    side_b: pl.DataFrame,
    *,
    explain: bool = True,
) -> pl.DataFrame:
    """Return the pairs whose fields listed in `spec` are all equal.

    Without `explain` the `explanation` column is null, and `exact_explanation`
    fills it later for only the pairs that are kept.
    """
    rule = spec.reference
    a = prefixed(with_reference(side_a, rule, "a"), "a")
    b = prefixed(with_reference(side_b, rule, "b"), "b")
    keys = [_FIELD_COLUMN[field] for field in spec.fields]
    a = a.with_columns(
        pl.col(f"a_{key}").alias(f"join_{index}") for index, key in enumerate(keys)
    )
    b = b.with_columns(
        pl.col(f"b_{key}").alias(f"join_{index}") for index, key in enumerate(keys)
    )
    on = [f"join_{index}" for index in range(len(keys))]
    # NOTE: k items with equal keys on each side yield k * k candidate rows.
    joined = a.join(b, on=on, how="inner", nulls_equal=False)
    joined = with_differences(joined, date_a="value_date", date_b="value_date")
    explanation = exact_explanation(spec.fields) if explain else _NO_EXPLANATION
    return joined.with_columns(
        score=pl.lit(SCORE_SCALE, dtype=pl.Int64),
        explanation=explanation,
    ).select(CANDIDATE_COLUMNS)


def tolerance_candidates(
    spec: AmountDateLimits,
    side_a: pl.DataFrame,
    side_b: pl.DataFrame,
    *,
    explain: bool = True,
) -> pl.DataFrame:
    """Return the pairs of equal currency and account within amount and date limits.

    The frame has `CANDIDATE_COLUMNS` plus `mutually_unique`, true where neither
    item of the pair has another candidate here, which halves the pair's penalty
    (see `tolerance_score`). Without `explain` the `explanation` column is null,
    and `tolerance_explanation` fills it later for only the pairs that are kept.
    """
    joined = tolerance_pairs(spec, side_a, side_b)
    window = spec.window()
    explanation = (
        tolerance_explanation(unique=pl.col(UNIQUE_COLUMN))
        if explain
        else _NO_EXPLANATION
    )
    return (
        joined.with_columns(mutually_unique())
        .with_columns(
            score=tolerance_score(
                window.days_before, window.days_after, unique=pl.col(UNIQUE_COLUMN)
            ),
        )
        .with_columns(explanation=explanation)
        .select(*CANDIDATE_COLUMNS, UNIQUE_COLUMN)
    )


def mutually_unique() -> pl.Expr:
    """Flag the pairs whose two items have no other candidate in the frame."""
    alone = pl.col("a_ordinal").is_unique() & pl.col("b_ordinal").is_unique()
    return alone.alias(UNIQUE_COLUMN)


def tolerance_pairs(
    spec: AmountDateLimits, side_a: pl.DataFrame, side_b: pl.DataFrame
) -> pl.DataFrame:
    """Return every joined pair within the amount and date limits of `spec`.

    `max_difference` is each side A item's allowed difference in minor units. With
    only absolute tolerances it is the same for a whole currency, and a bucket join
    finds the candidates. A percentage makes it differ per item, so a range join
    runs per currency and account instead. The frame keeps every prefixed column of
    both sides (`reference` too when the sides have it) for passes that add checks.
    """
    limits = difference_limits(spec, side_a)
    a = prefixed(side_a, "a").join(limits, left_on="a_currency", right_on="currency")
    b = prefixed(side_b, "b")
    if spec.amount_tolerance_percent is None:
        joined = _bucket_join(a.filter(pl.col("max_difference") >= 0), b, limits)
    else:
        a = with_max_difference(spec, a)
        joined = _range_join(a, b)
    window = spec.window()
    return with_differences(joined, date_a=spec.date_a, date_b=spec.date_b).filter(
        pl.col("abs_difference") <= pl.col("max_difference"),
        pl.col("days") >= -window.days_before,
        pl.col("days") <= window.days_after,
    )


def with_max_difference(spec: AmountDateLimits, a: pl.DataFrame) -> pl.DataFrame:
    """Set `max_difference` of each prefixed side A row, percentage included."""
    if spec.amount_tolerance_percent is None:
        return a.filter(pl.col("max_difference") >= 0)
    percent_limit = _percent_limit(
        spec.amount_tolerance_percent, inclusive=spec.inclusive
    )
    return a.with_columns(
        max_difference=pl.max_horizontal("max_difference", percent_limit)
    ).filter(pl.col("max_difference") >= 0)


def _bucket_join(
    a: pl.DataFrame, b: pl.DataFrame, limits: pl.DataFrame
) -> pl.DataFrame:
    """Join on amount buckets one tolerance wide, plus one minor unit.

    Two amounts within the tolerance lie in the same or neighbouring buckets, so an
    equi-join on (currency, account key, bucket) against each B item's three
    buckets finds every candidate without pairing every item of an account.
    """
    usable = limits.filter(pl.col("max_difference") >= 0)
    b = b.join(usable, left_on="b_currency", right_on="currency")
    width = pl.col("max_difference") + 1
    a = a.with_columns(bucket=pl.col("a_amount") // width)
    b = b.with_columns(
        bucket=pl.int_ranges(
            pl.col("b_amount") // width - 1, pl.col("b_amount") // width + 2
        )
    ).explode("bucket")
    return a.join(
        b.drop("max_difference"),
        left_on=["a_currency", "a_account_key", "bucket"],
        right_on=["b_currency", "b_account_key", "bucket"],
        how="inner",
        coalesce=False,
    )


def _range_join(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Join B amounts inside each A item's range, one currency and account at a time.

    polars runs an inequality-only `join_where` as a range join, but adding the
    equality on currency and account turns it into a cross join (polars 2.1), so
    the partitions are joined one by one.
    """
    # NOTE: one join per (currency, account key); many small accounts make this slow.
    a = a.with_columns(
        low=pl.col("a_amount") - pl.col("max_difference"),
        high=pl.col("a_amount") + pl.col("max_difference"),
    )
    keys = ["currency", "account_key"]
    b_parts = b.partition_by(
        [f"b_{key}" for key in keys], as_dict=True, include_key=True
    )
    joined: list[pl.DataFrame] = []
    for key, a_part in a.partition_by(
        [f"a_{key}" for key in keys], as_dict=True, include_key=True
    ).items():
        b_part = b_parts.get(key)
        if b_part is None:
            continue
        joined.append(
            a_part.join_where(
                b_part,
                pl.col("b_amount") >= pl.col("low"),
                pl.col("b_amount") <= pl.col("high"),
            )
        )
    if not joined:
        return a.clear().join(b.clear(), how="cross").drop("low", "high")
    return pl.concat(joined).drop("low", "high")


def _percent_limit(percent: Decimal, *, inclusive: bool) -> pl.Expr:
    """Return the allowed difference in minor units for `percent` of A's amount.

    The percentage has at most four decimals, so it is a whole number of parts per
    million, and the limit is floor(|a| * ppm / 10**6), or ceil(...) - 1 when the
    tolerance is exclusive. Int128 keeps the product from overflowing.
    """
    parts_per_million = int(percent.scaleb(4))
    product = pl.col("a_amount").abs().cast(pl.Int128) * parts_per_million
    if inclusive:
        limit = product // 1_000_000
    else:
        limit = (product + 999_999) // 1_000_000 - 1
    return limit.cast(pl.Int64)


def max_difference(tolerance: Decimal, currency: str, *, inclusive: bool) -> int:
    """Return the largest whole minor-unit difference that `tolerance` allows.

    An integer difference d satisfies d <= t exactly when d <= floor(t), and d < t
    exactly when d <= ceil(t) - 1. The result is -1 when nothing is allowed.
    """
    scaled = tolerance.scaleb(minor_units(currency))
    if inclusive:
        return int(scaled.to_integral_value(rounding=ROUND_FLOOR))
    return int(scaled.to_integral_value(rounding=ROUND_CEILING)) - 1


def difference_limits(spec: AmountDateLimits, side_a: pl.DataFrame) -> pl.DataFrame:
    """Return each currency's allowed difference in minor units, as a frame."""
    currencies = sorted(
        code for code in side_a.get_column("currency").unique() if code is not None
    )
    limits = {
        code: max_difference(spec.tolerance_for(code), code, inclusive=spec.inclusive)
        for code in currencies
    }
    return pl.DataFrame(
        {"currency": list(limits), "max_difference": list(limits.values())},
        schema={"currency": pl.String, "max_difference": pl.Int64},
    )


def prefixed(frame: pl.DataFrame, side: str) -> pl.DataFrame:
    names = [*_SIDE_COLUMNS, *(["reference"] if "reference" in frame.columns else [])]
    return frame.select(pl.col(name).alias(f"{side}_{name}") for name in names)


def with_differences(joined: pl.DataFrame, *, date_a: str, date_b: str) -> pl.DataFrame:
    difference = pl.col("a_amount") - pl.col("b_amount")
    days = (pl.col(f"b_{date_b}") - pl.col(f"a_{date_a}")).dt.total_days()
    return joined.with_columns(
        currency=pl.col("a_currency"),
        scale=pl.col("a_scale"),
        difference=difference,
        abs_difference=difference.abs(),
        days=days,
        abs_days=days.abs(),
    )


def tolerance_score(
    days_before: int, days_after: int, *, unique: pl.Expr | None = None
) -> pl.Expr:
    """Score 1.0 minus half the used share of the amount and of the date limits.

    Where `unique` is true the penalty is halved (rounded up), because a pair whose
    two items have no other candidate within the limits is far less likely to be a
    wrong choice than a pair picked among several.
    """
    half = SCORE_SCALE // 2
    limit = pl.col("max_difference")
    amount_penalty = (
        pl.when(limit > 0).then(half * pl.col("abs_difference") // limit).otherwise(0)
    )
    day_limit = pl.when(pl.col("days") < 0).then(days_before).otherwise(days_after)
    date_penalty = (
        pl.when(day_limit > 0).then(half * pl.col("abs_days") // day_limit).otherwise(0)
    )
    penalty = amount_penalty + date_penalty
    if unique is not None:
        penalty = pl.when(unique).then((penalty + 1) // 2).otherwise(penalty)
    return (SCORE_SCALE - penalty).cast(pl.Int64)


def exact_explanation(fields: list[MatchField]) -> pl.Expr:
    """Return the fields that agree, the amount difference and the days apart."""
    equal = pl.lit(f"{_join_words([_FIELD_LABEL[field] for field in fields])} equal")
    parts = [equal]
    if MatchField.AMOUNT not in fields:
        parts.append(pl.lit(", ") + amount_phrase())
    if MatchField.VALUE_DATE not in fields:
        parts.append(
            pl.when(pl.col("abs_days") > 0)
            .then(pl.lit(", value dates ") + days_phrase())
            .otherwise(pl.lit(", same date"))
        )
    return pl.concat_str(parts)


def tolerance_explanation(
    prefix: str = "currency and account equal, ", *, unique: pl.Expr | None = None
) -> pl.Expr:
    """Return the fields that agree, the amount difference and the days apart.

    With `unique`, rows where it is true end in `UNIQUE_PHRASE`, which names the
    reason for their higher score.
    """
    parts = [pl.lit(prefix), amount_phrase(), pl.lit(", "), dates_phrase()]
    if unique is not None:
        parts.append(pl.when(unique).then(pl.lit(UNIQUE_PHRASE)).otherwise(pl.lit("")))
    return pl.concat_str(parts)


def dates_phrase() -> pl.Expr:
    """Return "same date" or "2 days apart" for each row."""
    return (
        pl.when(pl.col("abs_days") == 0)
        .then(pl.lit("same date"))
        .otherwise(days_phrase())
    )


def amount_phrase(subject: str = "amount") -> pl.Expr:
    """Return "amount equal" or "amount differs by 0.50 EUR" for each row.

    `subject` "sums" gives "sums equal" and "sums differ by 0.50 EUR".
    """
    verb = " differs by " if subject == "amount" else " differ by "
    factor = pl.lit(10, dtype=pl.Int64).pow(pl.col("scale"))
    whole = (pl.col("abs_difference") // factor).cast(pl.String)
    fraction = (
        (pl.col("abs_difference") % factor).cast(pl.String).str.zfill(pl.col("scale"))
    )
    number = (
        pl.when(pl.col("scale") > 0)
        .then(pl.concat_str([whole, pl.lit("."), fraction]))
        .otherwise(whole)
    )
    differs = pl.concat_str(
        [pl.lit(subject + verb), number, pl.lit(" "), pl.col("currency")]
    )
    return (
        pl.when(pl.col("abs_difference") == 0)
        .then(pl.lit(f"{subject} equal"))
        .otherwise(differs)
    )


def days_phrase() -> pl.Expr:
    count = pl.col("abs_days").cast(pl.String)
    unit = (
        pl.when(pl.col("abs_days") == 1).then(pl.lit(" day")).otherwise(pl.lit(" days"))
    )
    return pl.concat_str([count, unit, pl.lit(" apart")])


def _join_words(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} and {words[-1]}"
