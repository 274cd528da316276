"""Amount bands, age bases, reason codes and event contracts of break records.

Every item that a reconciliation keeps open has a break record. A group that takes
the item closes the record, and a dissolved group reopens it, so the record keeps
its first `opened_at` and its age across an unmatch. `breaks.storage` writes them.
"""

from typing import Final

import structlog
from recon_common.events import Break, BreakAgeBasis, BreakReason, BreakState

from recon_matcher.definitions import Definition
from recon_matcher.models import ApprovalRecord, BreakRecord
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

LIVE_STATES: Final = frozenset({BreakState.OPEN.value, BreakState.ASSIGNED.value})

_IN_BATCH: Final = 500


def age_basis_for(
    definition: Definition, *, settings: MatcherSettings
) -> BreakAgeBasis:
    """Return the date that the breaks of `definition` age from."""
    # The definition model may gain its own field; until then the setting decides.
    declared = getattr(definition, "break_age_basis", None)
    if declared is not None:
        return BreakAgeBasis(declared)
    return settings.break_age_basis.get(definition.id, settings.default_break_age_basis)


def reason_of(reasons: dict[str, str], transaction_id: str) -> BreakReason:
    """Return the engine's reason code for an item, `no_counterpart` if it has none."""
    code = reasons.get(transaction_id)
    if code is None:
        return BreakReason.NO_COUNTERPART
    try:
        return BreakReason(code)
    except ValueError:
        log.warning(
            "matcher.break.unknown_reason", transaction_id=transaction_id, reason=code
        )
        return BreakReason.NO_COUNTERPART


def break_contract(
    record: BreakRecord, *, pending: ApprovalRecord | None = None
) -> Break:
    """Return the event contract of a break record."""
    return Break(
        transaction_id=record.transaction_id,
        reconciliation_id=record.reconciliation_id,
        side=record.side,
        reason=BreakReason(record.reason),
        opened_at=record.opened_at,
        state=BreakState(record.state),
        assignee=record.assignee,
        age_basis=BreakAgeBasis(record.age_basis),
        age_date=record.age_date,
        amount_band=record.amount_band,
        pending_approval_id=pending.approval_id if pending else None,
        pending_action=pending.action if pending else None,
        requested_by=pending.requested_by if pending else None,
    )
