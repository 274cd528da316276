"""Precision and recall of groups against truth pairs."""

from dataclasses import dataclass
from decimal import Decimal

from recon_matcher.engine import score_against_truth


@dataclass(frozen=True)
class _Group:
    pass_name: str
    transaction_ids: tuple[str, ...]


def test_quality_counts_per_pass() -> None:
    groups = [
        _Group("exact", ("s1", "l1")),
        _Group("exact", ("s2", "l2")),
        _Group("tolerance", ("s3", "l4")),
    ]
    truth = [("l1", "s1"), ("l2", "s2"), ("l3", "s3"), ("l4", "s4")]

    report = score_against_truth(groups, truth)

    assert report.by_pass["exact"].precision == 1
    assert report.by_pass["exact"].recall == Decimal("0.5")
    assert report.by_pass["tolerance"].precision == 0
    assert report.overall.precision == Decimal(2) / Decimal(3)
    assert report.overall.recall == Decimal("0.5")


def test_quality_group_of_three_counts_three_pairs() -> None:
    groups = [_Group("netting", ("s1", "l1", "l2"))]
    truth = [("l1", "s1"), ("l2", "s1")]

    report = score_against_truth(groups, truth)

    assert report.overall.matched_pairs == 3
    assert report.overall.true_pairs_found == 2


def test_quality_empty_inputs() -> None:
    report = score_against_truth([], [])

    assert report.overall.precision == 1
    assert report.overall.recall == 1
    assert report.by_pass == {}
