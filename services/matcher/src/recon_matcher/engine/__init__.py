"""The matching engine: vectorized passes over polars frames of transactions."""

from recon_matcher.engine.assignment import assign_groups, assign_one_to_one
from recon_matcher.engine.breaks import (
    BreakReasonCode,
    ageing_days,
    ageing_expr,
    amount_band,
    amount_band_expr,
    classify_breaks,
)
from recon_matcher.engine.frame import (
    TRANSACTION_SCHEMA,
    FrameError,
    from_minor_units,
    prepare_side,
    required_columns,
    signed_amount,
    to_minor_units,
    transactions_to_frame,
)
from recon_matcher.engine.fuzzy import fuzzy_candidates, reference_similarity
from recon_matcher.engine.grouped import (
    GROUP_COLUMNS,
    keyed_group_candidates,
    subset_group_candidates,
)
from recon_matcher.engine.partitions import (
    Partition,
    account_bound,
    plan_partitions,
    scan_partitions,
    split_frames,
)
from recon_matcher.engine.passes import (
    SCORE_SCALE,
    exact_candidates,
    max_difference,
    tolerance_candidates,
)
from recon_matcher.engine.quality import (
    GroupLike,
    PassQuality,
    QualityReport,
    score_against_truth,
)
from recon_matcher.engine.run import (
    Group,
    GroupStatus,
    MatchResult,
    combine_results,
    match_partitions,
    match_transactions,
    run_passes,
)

__all__ = [
    "GROUP_COLUMNS",
    "SCORE_SCALE",
    "TRANSACTION_SCHEMA",
    "BreakReasonCode",
    "FrameError",
    "Group",
    "GroupLike",
    "GroupStatus",
    "MatchResult",
    "Partition",
    "PassQuality",
    "QualityReport",
    "account_bound",
    "ageing_days",
    "ageing_expr",
    "amount_band",
    "amount_band_expr",
    "assign_groups",
    "assign_one_to_one",
    "classify_breaks",
    "combine_results",
    "exact_candidates",
    "from_minor_units",
    "fuzzy_candidates",
    "keyed_group_candidates",
    "match_partitions",
    "match_transactions",
    "max_difference",
    "plan_partitions",
    "prepare_side",
    "required_columns",
    "reference_similarity",
    "run_passes",
    "scan_partitions",
    "score_against_truth",
    "signed_amount",
    "split_frames",
    "subset_group_candidates",
    "to_minor_units",
    "tolerance_candidates",
    "transactions_to_frame",
]
