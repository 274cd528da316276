"""Opening, changing and ending breaks in the read model in the order they were sent.

The matcher publishes a run keyed by file id and an operator action keyed by
reconciliation id, so the two can reach different partitions. A write-off may then
be applied before the run that opened the break or carried the transaction, and a
replay may apply an old opening after a newer end.
`report_break_outcomes` therefore keeps, per transaction, the outcome and the
envelope time of the newest message that opened, changed or ended its break. A
break change from a message sent earlier than that is skipped, and `refresh_links`
copies the outcome to the transaction row whenever that row arrives. Envelope times
come from the matcher replica that enqueued the message, so two changes of one
break sent within the clock skew between matcher replicas may be ordered wrongly.
"""

from datetime import datetime

from recon_common.events import Break, BreakState
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.breaks.service import age_start
from recon_reporting.models import ReportBreak, ReportBreakOutcome
from recon_reporting.readmodel import repository

ENDED_STATES = frozenset({BreakState.WRITTEN_OFF, BreakState.CLOSED})


def _copy_break(row: ReportBreak, item: Break) -> None:
    row.reconciliation_id = item.reconciliation_id
    row.side = item.side
    row.reason = item.reason.value
    row.opened_at = item.opened_at
    row.state = item.state.value
    row.assignee = item.assignee
    row.age_basis = item.age_basis.value
    row.age_date = age_start(age_date=item.age_date, opened_at=item.opened_at)
    row.amount_band = item.amount_band
    row.pending_approval_id = item.pending_approval_id
    row.pending_action = item.pending_action
    row.requested_by = item.requested_by


async def load_outcomes(
    session: AsyncSession, *, transaction_ids: set[str]
) -> dict[str, ReportBreakOutcome]:
    """Return the stored break outcomes of `transaction_ids` by transaction id."""
    return await repository.load_by_key(
        session,
        ReportBreakOutcome,
        ReportBreakOutcome.transaction_id,
        transaction_ids,
    )


async def _current_changes(
    session: AsyncSession, breaks: list[Break], *, sent_at: datetime
) -> tuple[list[Break], dict[str, ReportBreakOutcome]]:
    # The last change of a transaction in one message wins. A change sent at the
    # same time as the stored one is applied again, so a redelivery changes nothing.
    latest = {item.transaction_id: item for item in breaks}
    outcomes = await load_outcomes(session, transaction_ids=set(latest))
    current = [
        item
        for item in latest.values()
        if item.transaction_id not in outcomes
        or outcomes[item.transaction_id].sent_at <= sent_at
    ]
    return current, outcomes


def _record_outcomes(
    session: AsyncSession,
    outcomes: dict[str, ReportBreakOutcome],
    breaks: list[Break],
    *,
    sent_at: datetime,
) -> None:
    for item in breaks:
        row = outcomes.get(item.transaction_id)
        if row is None:
            row = ReportBreakOutcome(transaction_id=item.transaction_id)
            session.add(row)
            outcomes[item.transaction_id] = row
        row.reconciliation_id = item.reconciliation_id
        row.outcome = item.state.value if item.state in ENDED_STATES else None
        row.sent_at = sent_at


async def _upsert_open(session: AsyncSession, breaks: list[Break]) -> None:
    existing = await repository.load_by_key(
        session,
        ReportBreak,
        ReportBreak.transaction_id,
        [item.transaction_id for item in breaks],
    )
    for item in breaks:
        row = existing.get(item.transaction_id)
        if row is None:
            row = ReportBreak(transaction_id=item.transaction_id)
            session.add(row)
            existing[item.transaction_id] = row
        _copy_break(row, item)


async def apply_opened_breaks(
    session: AsyncSession,
    breaks: list[Break],
    *,
    matched_ids: set[str],
    sent_at: datetime,
) -> None:
    """Open `breaks` unless their item is matched or a newer message ended them."""
    unmatched = [item for item in breaks if item.transaction_id not in matched_ids]
    current, outcomes = await _current_changes(session, unmatched, sent_at=sent_at)
    await _upsert_open(session, current)
    _record_outcomes(session, outcomes, current, sent_at=sent_at)


async def apply_break_updates(
    session: AsyncSession, breaks: list[Break], *, sent_at: datetime
) -> None:
    """Apply the state changes of `breaks` that no newer message has superseded.

    A written-off or closed break leaves the open list, and its outcome is kept for
    the transaction, which may not have reached the read model yet.
    """
    current, outcomes = await _current_changes(session, breaks, sent_at=sent_at)
    ended = [item.transaction_id for item in current if item.state in ENDED_STATES]
    await repository.delete_breaks(session, transaction_ids=ended)
    await _upsert_open(
        session, [item for item in current if item.state not in ENDED_STATES]
    )
    _record_outcomes(session, outcomes, current, sent_at=sent_at)
