"""Messages of a run and of operator actions on one break, with their send times."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.events import Break, BreakState, Envelope, MatchesProduced
from recon_common.runtime import ServiceRuntime
from recon_reporting.models import ReportBreak, ReportBreakOutcome, ReportTransaction
from recon_reporting.readmodel.handlers import handle_matches_produced
from sqlalchemy import select

from tests.reporting.factory import build_day, envelope

RUN_SENT_AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class BreakMessages:
    """A run that opens breaks, and builders of later changes to its first break."""

    run: MatchesProduced
    target: Break

    @property
    def transaction_id(self) -> str:
        return self.target.transaction_id

    def run_envelope(self) -> Envelope:
        return envelope(self.run, time=RUN_SENT_AT)

    def change(self, state: BreakState, *, minutes: int, **fields: Any) -> Envelope:
        """Return an action message that sets the target break to `state`."""
        message = MatchesProduced(
            run_id=f"{state.value}-{minutes}",
            chunk_index=0,
            chunk_count=1,
            updated_breaks=[self.target.model_copy(update={"state": state, **fields})],
        )
        return envelope(message, time=RUN_SENT_AT + timedelta(minutes=minutes))

    def reopen(self, *, minutes: int) -> Envelope:
        """Return a message that opens the target break again, as an unmatch does."""
        message = MatchesProduced(
            run_id=f"reopen-{minutes}",
            chunk_index=0,
            chunk_count=1,
            opened_breaks=[self.target],
        )
        return envelope(message, time=RUN_SENT_AT + timedelta(minutes=minutes))

    def split_run(self) -> tuple[Envelope, Envelope]:
        """Return the run as two chunks: the transactions, then everything else."""
        transactions = MatchesProduced(
            run_id=self.run.run_id,
            chunk_index=0,
            chunk_count=2,
            transactions=self.run.transactions,
        )
        rest = self.run.model_copy(
            update={"chunk_index": 1, "chunk_count": 2, "transactions": []}
        )
        return (
            envelope(transactions, time=RUN_SENT_AT),
            envelope(rest, time=RUN_SENT_AT + timedelta(microseconds=1)),
        )


def break_messages() -> BreakMessages:
    """Return a run of six statement lines, four matched and two with breaks."""
    day = build_day(statements=6, matched_pairs=4)
    return BreakMessages(run=day.payload, target=day.payload.opened_breaks[0])


async def apply(app: FastAPI, *envelopes: Envelope) -> None:
    """Apply each envelope in its own committed session, as the consumer does."""
    runtime: ServiceRuntime = app.state.runtime
    for item in envelopes:
        async with session_scope(runtime.sessions) as session:
            await handle_matches_produced(session, item)


@dataclass(frozen=True)
class ReadModelState:
    """The rows that break changes write, as comparable tuples."""

    transactions: list[tuple[Any, ...]]
    breaks: list[tuple[Any, ...]]
    outcomes: list[tuple[Any, ...]]

    def transaction(self, transaction_id: str) -> tuple[Any, ...]:
        """Return `(id, status, reconciliation_id, group_id, break_outcome)`."""
        return next(row for row in self.transactions if row[0] == transaction_id)

    def open_break_ids(self) -> list[str]:
        return [row[0] for row in self.breaks]


async def read_state(app: FastAPI) -> ReadModelState:
    """Return the transaction, open break and break outcome rows."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        transactions = await session.execute(
            select(
                ReportTransaction.transaction_id,
                ReportTransaction.status,
                ReportTransaction.reconciliation_id,
                ReportTransaction.group_id,
                ReportTransaction.break_outcome,
            ).order_by(ReportTransaction.transaction_id)
        )
        breaks = await session.execute(
            select(
                ReportBreak.transaction_id, ReportBreak.state, ReportBreak.assignee
            ).order_by(ReportBreak.transaction_id)
        )
        outcomes = await session.execute(
            select(
                ReportBreakOutcome.transaction_id,
                ReportBreakOutcome.outcome,
                ReportBreakOutcome.sent_at,
            ).order_by(ReportBreakOutcome.transaction_id)
        )
        return ReadModelState(
            transactions=[tuple(row) for row in transactions],
            breaks=[tuple(row) for row in breaks],
            outcomes=[tuple(row) for row in outcomes],
        )
