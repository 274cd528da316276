"""Fuzzy reference pass: similar references with close amounts and dates.

Candidate pairs come from the tolerance pass's bucket join on currency, account key
and amount bucket, so references are compared only inside those blocks and never
across every pair of a large account. The comparison runs in rapidfuzz's C++ code
over whole columns (`process.cpdist`), one call per pass.
"""

from decimal import ROUND_CEILING
from typing import Final

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from recon_matcher.definitions.models import FuzzyPass, Similarity
from recon_matcher.engine.passes import (
    CANDIDATE_COLUMNS,
    SCORE_SCALE,
    tolerance_explanation,
    tolerance_pairs,
    tolerance_score,
)
from recon_matcher.engine.reference import with_reference

FUZZY_COLUMNS: Final = (*CANDIDATE_COLUMNS, "similarity")


def fuzzy_candidates(
    spec: FuzzyPass,
    side_a: pl.DataFrame,
    side_b: pl.DataFrame,
    *,
    explain: bool = True,
) -> pl.DataFrame:
    """Return the pairs with similar references within the amount and date limits.

    `similarity` is in basis points. The score is the tolerance score scaled by the
    similarity, so equal references with equal amounts and dates score 1.
    """
    rule = spec.reference
    a = with_reference(side_a, rule, "a")
    b = with_reference(side_b, rule, "b")
    pairs = tolerance_pairs(
        spec,
        a.filter(pl.col("reference").is_not_null()),
        b.filter(pl.col("reference").is_not_null()),
    )
    minimum = int(
        (spec.min_similarity * SCORE_SCALE).to_integral_value(rounding=ROUND_CEILING)
    )
    similarity = reference_similarity(
        pairs.get_column("a_reference"),
        pairs.get_column("b_reference"),
        spec.similarity,
    )
    window = spec.window()
    scored = (
        pairs.with_columns(similarity=similarity)
        .filter(pl.col("similarity") >= minimum)
        .with_columns(
            score=tolerance_score(window.days_before, window.days_after)
            * pl.col("similarity")
            // SCORE_SCALE
        )
    )
    explanation = fuzzy_explanation() if explain else pl.lit(None, dtype=pl.String)
    return scored.with_columns(explanation=explanation).select(FUZZY_COLUMNS)


def reference_similarity(
    left: pl.Series, right: pl.Series, measure: Similarity
) -> pl.Series:
    """Return the similarity of each pair of strings in basis points (Int64).

    Levenshtein similarity is computed exactly in integers as
    (longer length - edit distance) * 10,000 // longer length. Jaro-Winkler is a
    floating-point measure by definition, and its value is truncated to basis points.
    """
    if left.len() == 0:
        return pl.Series("similarity", [], dtype=pl.Int64)
    queries = left.to_list()
    choices = right.to_list()
    if measure is Similarity.JARO_WINKLER:
        values = process.cpdist(
            queries, choices, scorer=JaroWinkler.normalized_similarity, workers=-1
        )
        points = np.floor(values * SCORE_SCALE).astype(np.int64)
        return pl.Series("similarity", points, dtype=pl.Int64)
    distance = process.cpdist(
        queries, choices, scorer=Levenshtein.distance, dtype=np.int64, workers=-1
    )
    longer = np.maximum(
        left.str.len_chars().to_numpy(), right.str.len_chars().to_numpy()
    ).astype(np.int64)
    points = (longer - distance) * SCORE_SCALE // np.maximum(longer, 1)
    return pl.Series("similarity", points, dtype=pl.Int64)


def fuzzy_explanation() -> pl.Expr:
    """Return the reference similarity, the fields that agree, amount and days."""
    percent = (pl.col("similarity") // 100).cast(pl.String)
    return pl.concat_str(
        [
            pl.lit("reference "),
            percent,
            pl.lit("% similar, "),
            tolerance_explanation(),
        ]
    )
