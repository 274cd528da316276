"""Match quality measured against a truth file of pairs that belong together."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Protocol


class GroupLike(Protocol):
    """Anything with a pass name and the ids of the items it groups."""

    @property
    def pass_name(self) -> str: ...

    @property
    def transaction_ids(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class PassQuality:
    """Counts and ratios for one pass, or for all passes together."""

    matched_pairs: int
    true_pairs_found: int
    true_pairs: int

    @property
    def precision(self) -> Decimal:
        """The share of matched pairs that are true; 1 when nothing matched."""
        if self.matched_pairs == 0:
            return Decimal(1)
        return Decimal(self.true_pairs_found) / Decimal(self.matched_pairs)

    @property
    def recall(self) -> Decimal:
        """The share of all true pairs that were matched; 1 when there are none."""
        if self.true_pairs == 0:
            return Decimal(1)
        return Decimal(self.true_pairs_found) / Decimal(self.true_pairs)


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Quality per pass name and over all passes."""

    overall: PassQuality
    by_pass: dict[str, PassQuality]


def score_against_truth(
    groups: Iterable[GroupLike], truth: Iterable[tuple[str, str]]
) -> QualityReport:
    """Compare the pairs inside `groups` with the `truth` pairs.

    Pass only the groups that count as auto-matched (for example the confirmed
    ones). Every pair of ids inside a group counts as one matched pair, so a group
    of three items contributes three pairs. A truth pair is unordered.
    """
    true_pairs = {frozenset(pair) for pair in truth}
    matched: dict[str, set[frozenset[str]]] = {}
    for group in groups:
        pairs = matched.setdefault(group.pass_name, set())
        pairs.update(frozenset(pair) for pair in combinations(group.transaction_ids, 2))
    by_pass = {
        name: PassQuality(
            matched_pairs=len(pairs),
            true_pairs_found=len(pairs & true_pairs),
            true_pairs=len(true_pairs),
        )
        for name, pairs in matched.items()
    }
    every_pair = set().union(*matched.values()) if matched else set()
    overall = PassQuality(
        matched_pairs=len(every_pair),
        true_pairs_found=len(every_pair & true_pairs),
        true_pairs=len(true_pairs),
    )
    return QualityReport(overall=overall, by_pass=by_pass)
