"""Candidate groups of several items whose amounts sum to agree.

Two bounded searches build the groups, and both run as joins over whole frames:

- An exact pass groups each side's items by its fields other than `amount` (for
  example reference, currency and account). A group on the many side is a whole
  set of items with equal fields, at most `max_group_size` of them, and its sum must
  equal the other side's amount or sum. A subset of such a set is never tried.
- A tolerance pass takes each item of the "one" side as an anchor and blocks the
  other side on currency, account key and the dates inside the window. Pairs of
  members come from a second join on amount buckets of what the first member
  leaves, so every two-member subset within tolerance is found. For three or more
  members it keeps the `max_group_candidates` candidates that are plausible (same
  sign as the anchor, not larger) and closest in date, and enumerates their
  subsets of 3 to `max_group_size` items with self-joins. The last member joins
  on amount buckets of what the others leave, so only subsets that can fit are
  built. With K candidates and groups of up to m members an anchor yields at
  most C(K, 3) + ... + C(K, m) subsets (120 for the defaults K = 10 and m = 3).
  Members may have either sign, so a fee booked as a separate debit nets into
  the sum.

Each group has at least two items on its many side, because one-to-one pairs are
the job of one-to-one passes. `assign_groups` then picks groups so that no item is
in two of them.
"""

from typing import Final

import polars as pl

from recon_matcher.definitions.models import (
    ExactPass,
    Grouping,
    MatchField,
    TolerancePass,
)
from recon_matcher.engine.passes import (
    SCORE_SCALE,
    amount_phrase,
    dates_phrase,
    difference_limits,
    tolerance_score,
    with_max_difference,
)
from recon_matcher.engine.reference import with_reference

GROUP_COLUMNS: Final = (
    "a_ordinals",
    "b_ordinals",
    "a_transaction_ids",
    "b_transaction_ids",
    "currency",
    "scale",
    "difference",
    "abs_difference",
    "days",
    "abs_days",
    "score",
    "explanation",
)

GROUP_RANK_ORDER: Final = ("abs_difference", "abs_days", "size", "identity")

_ANCHOR_COLUMNS: Final = (
    "ordinal",
    "transaction_id",
    "currency",
    "scale",
    "amount",
    "max_difference",
)

_EMPTY_SUBSETS: Final = pl.DataFrame(
    schema={
        "ordinal": pl.Int64,
        "transaction_id": pl.String,
        "currency": pl.String,
        "scale": pl.Int64,
        "amount": pl.Int64,
        "max_difference": pl.Int64,
        "m_ordinals": pl.List(pl.Int64),
        "m_ids": pl.List(pl.String),
        "total": pl.Int64,
        "earliest": pl.Int32,
        "latest": pl.Int32,
    }
)

_KEY_COLUMN: Final = {
    MatchField.REFERENCE: "reference",
    MatchField.CURRENCY: "currency",
    MatchField.ACCOUNT: "account_key",
    MatchField.VALUE_DATE: "value_date",
}

_KEY_LABEL: Final = {
    MatchField.REFERENCE: "reference",
    MatchField.CURRENCY: "currency",
    MatchField.ACCOUNT: "account",
    MatchField.VALUE_DATE: "value date",
}


def keyed_group_candidates(
    spec: ExactPass, side_a: pl.DataFrame, side_b: pl.DataFrame
) -> pl.DataFrame:
    """Return groups of items with equal key fields whose sums are equal."""
    rule = spec.reference
    keys = [_KEY_COLUMN[field] for field in spec.fields if field in _KEY_COLUMN]
    a_many = spec.grouping in (Grouping.MANY_TO_ONE, Grouping.MANY_TO_MANY)
    b_many = spec.grouping in (Grouping.ONE_TO_MANY, Grouping.MANY_TO_MANY)
    a = _collapse(
        with_reference(side_a, rule, "a"),
        keys,
        many=a_many,
        max_size=spec.max_group_size,
        side="a",
    )
    b = _collapse(
        with_reference(side_b, rule, "b"),
        keys,
        many=b_many,
        max_size=spec.max_group_size,
        side="b",
    )
    joined = a.join(
        b, left_on=[*keys, "a_amount"], right_on=[*keys, "b_amount"], how="inner"
    ).filter(pl.col("a_size") + pl.col("b_size") > 2)
    labels = [_KEY_LABEL[field] for field in spec.fields if field in _KEY_LABEL]
    return _finish(
        joined.with_columns(
            scale="a_scale",
            difference=pl.lit(0, dtype=pl.Int64),
            days=_widest_gap(),
            score=pl.lit(SCORE_SCALE, dtype=pl.Int64),
        ),
        fields=f"{_join_words(labels)} equal, ",
    )


def subset_group_candidates(
    spec: TolerancePass, side_a: pl.DataFrame, side_b: pl.DataFrame
) -> pl.DataFrame:
    """Return groups of one anchor item and a subset of the other side's items."""
    anchor_is_a = spec.grouping is Grouping.ONE_TO_MANY
    window = spec.window()
    limits = difference_limits(spec, side_a if anchor_is_a else side_b)
    date_a, date_b = spec.date_a.value, spec.date_b.value
    anchor = (side_a if anchor_is_a else side_b).select(
        "ordinal",
        "transaction_id",
        "account_key",
        "currency",
        "amount",
        "scale",
        date=date_a if anchor_is_a else date_b,
    )
    member = (side_b if anchor_is_a else side_a).select(
        m_ordinal="ordinal",
        m_transaction_id="transaction_id",
        account_key="account_key",
        currency="currency",
        m_amount="amount",
        m_date=date_b if anchor_is_a else date_a,
    )

    anchor = anchor.join(limits, on="currency").rename({"amount": "a_amount"})
    anchor = with_max_difference(spec, anchor).rename({"a_amount": "amount"})
    # Offsets of the member's date from the anchor's date that the window allows.
    earliest, latest = (
        (-window.days_before, window.days_after)
        if anchor_is_a
        else (-window.days_after, window.days_before)
    )

    in_window = _window_members(anchor, member, earliest=earliest, latest=latest)
    pairs = _complement_pairs(in_window, member, earliest=earliest, latest=latest)
    larger = _enumerate_subsets(
        _nearest(in_window, limit=spec.max_group_candidates),
        max_size=spec.max_group_size,
    )
    subsets = pl.concat([pairs, larger], how="vertical_relaxed")

    sign = 1 if anchor_is_a else -1
    found = subsets.with_columns(
        difference=sign * (pl.col("amount") - pl.col("total")),
        days=sign
        * pl.when(pl.col("latest").abs() >= pl.col("earliest").abs())
        .then(pl.col("latest"))
        .otherwise(pl.col("earliest")),
    ).filter(pl.col("difference").abs() <= pl.col("max_difference"))

    anchor_ids = pl.concat_list(pl.col("ordinal"))
    anchor_names = pl.concat_list(pl.col("transaction_id"))
    shaped = found.select(
        a_ordinals=anchor_ids if anchor_is_a else pl.col("m_ordinals"),
        b_ordinals=pl.col("m_ordinals") if anchor_is_a else anchor_ids,
        a_transaction_ids=anchor_names if anchor_is_a else pl.col("m_ids"),
        b_transaction_ids=pl.col("m_ids") if anchor_is_a else anchor_names,
        currency="currency",
        scale="scale",
        difference="difference",
        days="days",
        max_difference="max_difference",
    ).with_columns(
        abs_difference=pl.col("difference").abs(), abs_days=pl.col("days").abs()
    )
    scored = shaped.with_columns(
        score=tolerance_score(window.days_before, window.days_after)
    )
    return _finish(scored, fields="currency and account equal, ")


def _collapse(
    frame: pl.DataFrame, keys: list[str], *, many: bool, max_size: int, side: str
) -> pl.DataFrame:
    """Return one row per item, or per set of items with equal keys when `many`."""
    usable = frame.drop_nulls(keys)
    if not many:
        return usable.select(
            *keys,
            pl.concat_list("ordinal").alias(f"{side}_ordinals"),
            pl.concat_list("transaction_id").alias(f"{side}_transaction_ids"),
            pl.col("amount").alias(f"{side}_amount"),
            pl.lit(1, dtype=pl.UInt32).alias(f"{side}_size"),
            pl.col("value_date").alias(f"{side}_first"),
            pl.col("value_date").alias(f"{side}_last"),
            pl.col("scale").alias(f"{side}_scale"),
        )
    return (
        usable.group_by(keys)
        .agg(
            pl.col("ordinal").sort().alias(f"{side}_ordinals"),
            pl.col("transaction_id")
            .sort_by("ordinal")
            .alias(f"{side}_transaction_ids"),
            pl.col("amount").sum().alias(f"{side}_amount"),
            pl.len().alias(f"{side}_size"),
            pl.col("value_date").min().alias(f"{side}_first"),
            pl.col("value_date").max().alias(f"{side}_last"),
            pl.col("scale").first().alias(f"{side}_scale"),
        )
        .filter(pl.col(f"{side}_size") <= max_size)
    )


def _widest_gap() -> pl.Expr:
    """Return the signed days between the A and B dates that lie furthest apart."""
    forward = (pl.col("b_last") - pl.col("a_first")).dt.total_days()
    backward = (pl.col("b_first") - pl.col("a_last")).dt.total_days()
    return pl.when(forward.abs() >= backward.abs()).then(forward).otherwise(backward)


def _window_members(
    anchor: pl.DataFrame, member: pl.DataFrame, *, earliest: int, latest: int
) -> pl.DataFrame:
    """Join each anchor with every member of its account dated inside its window."""
    offsets = pl.int_ranges(earliest, latest + 1, dtype=pl.Int32)
    spread = anchor.with_columns(offset=offsets).explode("offset")
    spread = spread.with_columns(
        m_date=pl.col("date") + pl.duration(days=pl.col("offset"))
    )
    return spread.join(member, on=["currency", "account_key", "m_date"])


def _nearest(in_window: pl.DataFrame, *, limit: int) -> pl.DataFrame:
    """Keep each anchor's `limit` members, plausible ones first, then nearest in date.

    A member is plausible when it has the anchor's sign and is not larger than the
    anchor plus its tolerance, because only such members can add up to the anchor
    without another member netting them down.
    """
    plausible = (pl.col("m_amount").sign() == pl.col("amount").sign()) & (
        pl.col("m_amount").abs() <= pl.col("amount").abs() + pl.col("max_difference")
    )
    # One Int64 orders the members of an anchor. Implausible ones come last
    # (bit 60), then members by days apart (at most 366, from bit 40), then by
    # ordinal (below 2**40). Ranking it per anchor and sorting only the kept rows
    # took 0.2 s of CPU on the 1,000,000-line benchmark, against 0.5 s for
    # sorting every row by four columns.
    order = (
        pl.when(plausible).then(0).otherwise(1 << 60)
        + pl.col("offset").abs().cast(pl.Int64) * (1 << 40)
        + pl.col("m_ordinal")
    )
    return (
        in_window.with_columns(_order=order)
        .filter(pl.col("_order").rank("ordinal").over("ordinal") <= limit)
        .sort("ordinal", "_order")
        .with_columns(position=pl.int_range(pl.len()).over("ordinal"))
        .drop("_order")
    )


def _complement_pairs(
    in_window: pl.DataFrame, member: pl.DataFrame, *, earliest: int, latest: int
) -> pl.DataFrame:
    """Return every two-member subset within tolerance, without a candidate cap.

    For each anchor and first member the second member's amount must lie within
    the tolerance of what is left, so an equi-join on amount buckets one tolerance
    wide (plus one minor unit) finds it, as in the tolerance pass.
    """
    width = in_window.group_by("currency").agg(width=pl.col("max_difference").max() + 1)
    first = in_window.join(width, on="currency").with_columns(
        needed=pl.col("amount") - pl.col("m_amount")
    )
    # The allowed range [needed - limit, needed + limit] is narrower than two
    # buckets, so a fitting second member lies in the range's lowest bucket or
    # the next one. Each member is listed under its own bucket and the one
    # below, so that the many first-member rows need not be exploded.
    low = (pl.col("needed") - pl.col("max_difference")) // pl.col("width")
    first = first.with_columns(bucket=low)
    own = pl.col("m_amount") // pl.col("width")
    second = (
        member.join(width, on="currency")
        .select(
            "currency",
            "account_key",
            bucket=pl.concat_list(own, own - 1),
            next_ordinal="m_ordinal",
            next_id="m_transaction_id",
            next_amount="m_amount",
            next_date="m_date",
        )
        .explode("bucket")
    )
    joined = first.join(second, on=["currency", "account_key", "bucket"])
    next_offset = (pl.col("next_date") - pl.col("date")).dt.total_days()
    found = joined.with_columns(next_offset=next_offset).filter(
        pl.col("next_ordinal") > pl.col("m_ordinal"),
        pl.col("next_offset") >= earliest,
        pl.col("next_offset") <= latest,
        (pl.col("needed") - pl.col("next_amount")).abs() <= pl.col("max_difference"),
    )
    return found.select(
        *_ANCHOR_COLUMNS,
        m_ordinals=pl.concat_list("m_ordinal", "next_ordinal"),
        m_ids=pl.concat_list("m_transaction_id", "next_id"),
        total=pl.col("m_amount") + pl.col("next_amount"),
        earliest=pl.min_horizontal("offset", "next_offset"),
        latest=pl.max_horizontal("offset", "next_offset"),
    )


def _enumerate_subsets(candidates: pl.DataFrame, *, max_size: int) -> pl.DataFrame:
    """Return the subsets of 3 to `max_size` candidates whose sum is within tolerance.

    Members are carried in scalar columns while the subsets grow and become lists
    only for the subsets that fit, because list columns are slow to extend.
    """
    anchor_columns = list(_ANCHOR_COLUMNS)
    current = candidates.select(
        *anchor_columns,
        "position",
        member_1="m_ordinal",
        id_1="m_transaction_id",
        total="m_amount",
        earliest="offset",
        latest="offset",
    )
    step = candidates.select(
        "ordinal",
        next_position="position",
        next_ordinal="m_ordinal",
        next_id="m_transaction_id",
        next_amount="m_amount",
        next_offset="offset",
    )
    levels: list[pl.DataFrame] = []
    for size in range(2, max_size + 1):
        last = size == max_size and size >= 3
        current = (
            _last_members(current, step) if last else current.join(step, on="ordinal")
        )
        current = (
            current.filter(pl.col("next_position") > pl.col("position"))
            .with_columns(
                position="next_position",
                total=pl.col("total") + pl.col("next_amount"),
                earliest=pl.min_horizontal("earliest", "next_offset"),
                latest=pl.max_horizontal("latest", "next_offset"),
            )
            .rename({"next_ordinal": f"member_{size}", "next_id": f"id_{size}"})
            .drop("next_position", "next_amount", "next_offset")
        )
        if size < 3:
            continue
        fits = (pl.col("amount") - pl.col("total")).abs() <= pl.col("max_difference")
        members = [f"member_{index}" for index in range(1, size + 1)]
        ids = [f"id_{index}" for index in range(1, size + 1)]
        levels.append(
            current.filter(fits).select(
                *anchor_columns,
                m_ordinals=pl.concat_list(members),
                m_ids=pl.concat_list(ids),
                total="total",
                earliest="earliest",
                latest="latest",
            )
        )
    if not levels:
        return _EMPTY_SUBSETS
    return pl.concat(levels)


def _last_members(current: pl.DataFrame, step: pl.DataFrame) -> pl.DataFrame:
    """Join each partial subset with the candidates that can complete its sum.

    The last member must lie within the tolerance of what the partial subset leaves
    of the anchor's amount, so an equi-join on amount buckets one tolerance wide
    (plus one minor unit) replaces the join with every candidate of the anchor. On
    the 1,000,000-line benchmark this cut the three-member level from 5.5 million
    joined rows to a few thousand.
    """
    width = pl.col("max_difference") + 1
    needed = pl.col("amount") - pl.col("total")
    low = (needed - pl.col("max_difference")) // width
    high = (needed + pl.col("max_difference")) // width
    widths = current.select("ordinal", "max_difference").unique("ordinal")
    completing = step.join(widths, on="ordinal").select(
        pl.exclude("max_difference"),
        bucket=pl.col("next_amount") // width,
    )
    return (
        current.with_columns(bucket=pl.int_ranges(low, high + 1))
        .explode("bucket")
        .join(completing, on=["ordinal", "bucket"])
        .drop("bucket")
    )


def _finish(groups: pl.DataFrame, *, fields: str) -> pl.DataFrame:
    """Add sizes, the tie-breaking identity and the explanation; select the columns."""
    if "abs_difference" not in groups.columns:
        groups = groups.with_columns(
            abs_difference=pl.col("difference").abs(), abs_days=pl.col("days").abs()
        )
    a_count = pl.col("a_ordinals").list.len()
    b_count = pl.col("b_ordinals").list.len()
    counts = pl.concat_str(
        [
            a_count.cast(pl.String),
            pl.lit(" side A and "),
            b_count.cast(pl.String),
            pl.lit(" side B items, "),
        ]
    )
    explanation = pl.concat_str(
        [counts, pl.lit(fields), amount_phrase("sums"), pl.lit(", "), dates_phrase()]
    )
    return (
        groups.with_columns(
            size=a_count + b_count,
            identity=_identity("a_ordinals") + pl.lit("|") + _identity("b_ordinals"),
        )
        .with_columns(explanation=explanation)
        .select(*GROUP_COLUMNS, "size", "identity")
    )


def _identity(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .list.sort()
        .list.eval(pl.element().cast(pl.String).str.zfill(12))
        .list.join(",")
    )


def _join_words(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} and {words[-1]}"
