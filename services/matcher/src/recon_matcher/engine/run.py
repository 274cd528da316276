"""Run a definition's passes over two sides and collect groups and breaks.

The engine matches exactly the items it is given. The caller removes items that
earlier runs already matched. Passes run in the definition's order, and each pass
receives only the items that no earlier pass put in a group.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Final

import polars as pl
import structlog
from recon_common.events import Break, BreakReason, MatchGroup, Transaction

from recon_matcher.definitions.models import (
    Definition,
    ExactPass,
    PassConfig,
    Side,
    Thresholds,
    TolerancePass,
)
from recon_matcher.engine.assignment import assign_one_to_one
from recon_matcher.engine.frame import (
    from_minor_units,
    prepare_side,
    transactions_to_frame,
)
from recon_matcher.engine.passes import (
    CANDIDATE_COLUMNS,
    SCORE_SCALE,
    exact_candidates,
    tolerance_candidates,
)

logger = structlog.get_logger(__name__)

# Namespace for group ids, so a re-run over the same items yields the same group id.
_GROUP_NAMESPACE: Final = uuid.UUID("5f0c6a2e-3c1b-4f5e-9a55-0d5e2b7c9e41")


class GroupStatus(StrEnum):
    """Whether a group is confirmed by its score or waits for an operator."""

    CONFIRMED = "confirmed"
    PROPOSED = "proposed"


@dataclass(frozen=True, slots=True)
class Group:
    """One match group as the engine produced it."""

    pass_name: str
    side_a_ids: tuple[str, ...]
    side_b_ids: tuple[str, ...]
    score: Decimal
    amount_difference: Decimal
    currency: str
    days_apart: int
    explanation: str
    status: GroupStatus

    @property
    def transaction_ids(self) -> tuple[str, ...]:
        """The ids of both sides, side A first."""
        return self.side_a_ids + self.side_b_ids


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Groups and the unmatched items (the breaks) of both sides.

    `groups` has one row per pair with the columns of the candidate frame plus
    `pass_name` and `status`. `difference` is side A minus side B in minor units,
    and `score` is in basis points. `unmatched_a` and `unmatched_b` are the input
    rows, with the engine's added columns, that no pass put in a group.
    """

    definition_id: str
    groups: pl.DataFrame
    unmatched_a: pl.DataFrame
    unmatched_b: pl.DataFrame

    def group_records(self) -> list[Group]:
        """Return the groups as `Group` objects with `Decimal` amounts and scores."""
        records: list[Group] = []
        for row in self.groups.iter_rows(named=True):
            records.append(
                Group(
                    pass_name=row["pass_name"],
                    side_a_ids=(row["a_transaction_id"],),
                    side_b_ids=(row["b_transaction_id"],),
                    score=Decimal(row["score"]).scaleb(-4),
                    amount_difference=from_minor_units(
                        row["difference"], row["currency"]
                    ),
                    currency=row["currency"],
                    days_apart=row["abs_days"],
                    explanation=row["explanation"],
                    status=GroupStatus(row["status"]),
                )
            )
        return records

    def match_groups(self, *, matched_at: datetime) -> list[MatchGroup]:
        """Return the groups as event contracts, with ids stable across re-runs."""
        contracts: list[MatchGroup] = []
        for group in self.group_records():
            ids = group.transaction_ids
            name = "|".join([self.definition_id, group.pass_name, *ids])
            contracts.append(
                MatchGroup(
                    group_id=str(uuid.uuid5(_GROUP_NAMESPACE, name)),
                    reconciliation_id=self.definition_id,
                    pass_name=group.pass_name,
                    transaction_ids=list(ids),
                    score=group.score,
                    amount_difference=group.amount_difference,
                    days_apart=group.days_apart,
                    explanation=group.explanation,
                    matched_at=matched_at,
                )
            )
        return contracts

    def breaks(self, *, opened_at: datetime) -> list[Break]:
        """Return one break per unmatched item of either side."""
        found: list[Break] = []
        for side, frame in ((Side.A, self.unmatched_a), (Side.B, self.unmatched_b)):
            for transaction_id in frame.get_column("transaction_id").sort():
                found.append(
                    Break(
                        transaction_id=transaction_id,
                        reconciliation_id=self.definition_id,
                        side=side.value,
                        reason=BreakReason.NO_COUNTERPART,
                        opened_at=opened_at,
                    )
                )
        return found


def run_passes(
    definition: Definition, side_a: pl.DataFrame, side_b: pl.DataFrame
) -> MatchResult:
    """Match side A against side B with each pass of `definition` in order."""
    remaining_a = prepare_side(definition, Side.A, side_a)
    remaining_b = prepare_side(definition, Side.B, side_b)
    found: list[pl.DataFrame] = []
    for spec in definition.passes:
        groups = _run_pass(spec, remaining_a, remaining_b)
        found.append(groups)
        remaining_a = remaining_a.join(
            groups.select(ordinal="a_ordinal"), on="ordinal", how="anti"
        )
        remaining_b = remaining_b.join(
            groups.select(ordinal="b_ordinal"), on="ordinal", how="anti"
        )
        logger.info(
            "matcher.pass.finished",
            definition_id=definition.id,
            pass_name=spec.name,
            groups=groups.height,
            unmatched_a=remaining_a.height,
            unmatched_b=remaining_b.height,
        )
    return MatchResult(
        definition_id=definition.id,
        groups=pl.concat(found),
        unmatched_a=remaining_a.sort("ordinal"),
        unmatched_b=remaining_b.sort("ordinal"),
    )


def match_transactions(
    definition: Definition,
    side_a: Sequence[Transaction],
    side_b: Sequence[Transaction],
) -> MatchResult:
    """Match lists of transactions with `run_passes`."""
    return run_passes(
        definition, transactions_to_frame(side_a), transactions_to_frame(side_b)
    )


def _run_pass(
    spec: PassConfig, side_a: pl.DataFrame, side_b: pl.DataFrame
) -> pl.DataFrame:
    if isinstance(spec, ExactPass):
        candidates = exact_candidates(spec, side_a, side_b)
    elif isinstance(spec, TolerancePass):
        candidates = tolerance_candidates(spec, side_a, side_b)
    else:  # pragma: no cover - the PassConfig union has no other member
        raise TypeError(f"unsupported pass kind {type(spec).__name__}")
    candidates = candidates.filter(pl.col("score") >= _basis_points(spec.thresholds))
    chosen = assign_one_to_one(candidates)
    confirm_at = _basis_points(spec.thresholds, auto_confirm=True)
    status = (
        pl.when(pl.col("score") >= confirm_at)
        .then(pl.lit(GroupStatus.CONFIRMED.value))
        .otherwise(pl.lit(GroupStatus.PROPOSED.value))
    )
    return chosen.select(
        pl.lit(spec.name).alias("pass_name"),
        *CANDIDATE_COLUMNS,
        status.alias("status"),
    )


def _basis_points(thresholds: Thresholds, *, auto_confirm: bool = False) -> int:
    value = thresholds.confirm_score if auto_confirm else thresholds.min_score
    return int((value * SCORE_SCALE).to_integral_value(rounding=ROUND_CEILING))
