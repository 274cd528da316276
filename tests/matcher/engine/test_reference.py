"""Reference normalization: the series form agrees with the expression form."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from recon_matcher.definitions import ReferenceRule, SideReference
from recon_matcher.definitions.models import ReferenceSource
from recon_matcher.engine.reference import reference_expr, reference_series

FIELDS = [
    ReferenceSource.CUSTOMER_REFERENCE,
    ReferenceSource.END_TO_END_ID,
    ReferenceSource.BANK_REFERENCE,
]
# Texts that hit each step: the pattern's prefix, case, separators, leading
# zeros, ignored values, and texts that clean to nothing.
TEXTS = st.one_of(
    st.none(),
    st.sampled_from(
        ["", " ", "--", "000", "007", "NONREF", "0nonref", "inv-0042", "INV 7"]
    ),
    st.text(alphabet="aZ09 -/invINV", max_size=8),
)
ROWS = st.lists(st.tuples(TEXTS, TEXTS, TEXTS), max_size=40)


def frame_of(rows: list[tuple[str | None, str | None, str | None]]) -> pl.DataFrame:
    columns = {
        field.value: [row[index] for row in rows] for index, field in enumerate(FIELDS)
    }
    return pl.DataFrame(columns, schema={field.value: pl.String for field in FIELDS})


def rule_of(pattern: str | None, strip: bool, ignore: list[str]) -> ReferenceRule:
    side = SideReference(fields=FIELDS, pattern=pattern)
    return ReferenceRule(
        side_a=side, side_b=side, strip_leading_zeros=strip, ignore=ignore
    )


@settings(max_examples=200, deadline=None)
@given(
    rows=ROWS,
    pattern=st.sampled_from([None, r"(?i)^\s*(?:inv[-\s]*)?(.+)$"]),
    strip=st.booleans(),
    ignore=st.sampled_from([[], ["NONREF", "NOTPROVIDED"], ["0"], ["7"]]),
)
def test_reference_series_matches_expression(
    rows: list[tuple[str | None, str | None, str | None]],
    pattern: str | None,
    strip: bool,
    ignore: list[str],
) -> None:
    frame = frame_of(rows)
    rule = rule_of(pattern, strip, ignore)

    expected = frame.select(reference_expr(rule, rule.side_a)).to_series()
    found = reference_series(frame, rule, "a")

    assert found.to_list() == expected.to_list()


def test_reference_series_falls_back_per_row() -> None:
    frame = frame_of(
        [("INV-0042", "E2E-1", None), (None, "e2e 7", "B1"), ("NONREF", None, "00B2")]
    )
    rule = rule_of(r"(?i)^\s*(?:inv[-\s]*)?(.+)$", True, ["NONREF"])

    found = reference_series(frame, rule, "a")

    assert found.to_list() == ["42", "E2E7", "B2"]
