"""Reference normalization as polars expressions.

A side's reference is the first of its configured fields that yields a value. The
optional pattern runs on the raw text and its one group becomes the reference. Then
the text is upper-cased, everything except letters and digits is removed, and leading
zeros are stripped. Empty results and values in the ignore list become null, and null
never equals anything in a join, so items without a reference cannot match on it.
"""

import re

import polars as pl

from recon_matcher.definitions.models import ReferenceRule, SideReference


def normalize_reference(
    text: pl.Expr, *, strip_leading_zeros: bool, ignore: list[str]
) -> pl.Expr:
    """Return `text` upper-cased, with letters and digits only, as an expression."""
    cleaned = text.str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    ignored = [_plain(value) for value in ignore]
    if ignored:
        cleaned = pl.when(cleaned.is_in(ignored)).then(None).otherwise(cleaned)
    if strip_leading_zeros:
        cleaned = cleaned.str.strip_chars_start("0")
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned).otherwise(None)


def reference_expr(rule: ReferenceRule, side_reference: SideReference) -> pl.Expr:
    """Return the expression that computes one side's normalized reference."""
    candidates: list[pl.Expr] = []
    for field in side_reference.fields:
        raw = pl.col(field.value)
        if side_reference.pattern is not None:
            raw = raw.str.extract(side_reference.pattern, 1)
        candidates.append(
            normalize_reference(
                raw,
                strip_leading_zeros=rule.strip_leading_zeros,
                ignore=rule.ignore,
            )
        )
    return pl.coalesce(candidates)


def _plain(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())
