"""One-to-one assignment of candidate pairs, deterministic and vectorized.

Candidates are ranked by a total order: smallest absolute amount difference, then
fewest days apart, then side A ordinal, then side B ordinal. Each round keeps the
pairs that are each other's best remaining candidate and removes every other
candidate that touches a kept item. The globally best remaining pair is always
mutually best, so every round keeps at least one pair and the loop ends.

With a total order this selects exactly the pairs that a greedy walk down the
sorted list would select, taking a pair when both items are still free. Each
round is a handful of joins over the whole frame instead of one step per item.
The result is not a maximum matching: a greedy choice can leave an item unmatched
that another choice would have paired.
"""

import polars as pl
import structlog

logger = structlog.get_logger(__name__)

RANK_ORDER = ("abs_difference", "abs_days", "a_ordinal", "b_ordinal")


def assign_one_to_one(candidates: pl.DataFrame) -> pl.DataFrame:
    """Return the subset of `candidates` in which each item appears at most once."""
    ranked = candidates.sort(RANK_ORDER).with_row_index("rank")
    remaining = ranked.select("rank", "a_ordinal", "b_ordinal")
    kept: list[pl.DataFrame] = []
    rounds = 0
    while remaining.height:
        rounds += 1
        best_for_a = remaining.group_by("a_ordinal").agg(pl.col("rank").min())
        best_for_b = remaining.group_by("b_ordinal").agg(pl.col("rank").min())
        mutual = best_for_a.join(best_for_b, on="rank", how="inner").select(
            "rank", "a_ordinal", "b_ordinal"
        )
        kept.append(mutual)
        remaining = remaining.join(mutual, on="a_ordinal", how="anti").join(
            mutual, on="b_ordinal", how="anti"
        )
    logger.debug("matcher.assignment.finished", rounds=rounds, kept=sum(map(len, kept)))
    if not kept:
        return ranked.clear().drop("rank")
    chosen = pl.concat(kept).select("rank")
    return ranked.join(chosen, on="rank", how="semi").sort("rank").drop("rank")
