"""The matching engine: vectorized passes over polars frames of transactions."""

from recon_matcher.engine.assignment import assign_one_to_one
from recon_matcher.engine.frame import (
    TRANSACTION_SCHEMA,
    FrameError,
    from_minor_units,
    prepare_side,
    signed_amount,
    to_minor_units,
    transactions_to_frame,
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
    match_transactions,
    run_passes,
)

__all__ = [
    "SCORE_SCALE",
    "TRANSACTION_SCHEMA",
    "FrameError",
    "Group",
    "GroupLike",
    "GroupStatus",
    "MatchResult",
    "PassQuality",
    "QualityReport",
    "assign_one_to_one",
    "exact_candidates",
    "from_minor_units",
    "match_transactions",
    "max_difference",
    "prepare_side",
    "run_passes",
    "score_against_truth",
    "signed_amount",
    "to_minor_units",
    "tolerance_candidates",
    "transactions_to_frame",
]
