"""Read model contents for the report tests: breaks of known ages and amounts.

`ageing_breaks` opens breaks in two reconciliations and two currencies, one or more
in each age band, with amounts whose float sums are inexact. `outcome_run` gives
one reconciliation a transaction of every outcome that the match rate counts.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from recon_common.events import (
    Break,
    BreakReason,
    BreakState,
    GroupOrigin,
    MatchesProduced,
    MatchGroup,
    MatchGroupStatus,
    ReconciliationSummary,
    RecordKind,
    Transaction,
)

from tests.reporting.factory import transaction

EUR_RECONCILIATION = "rec-eur-nostro"
USD_RECONCILIATION = "rec-usd-nostro"
# Ages in days that fall into each band of the Breaks page.
BAND_AGES = {"0-1d": 1, "2-7d": 5, "8-30d": 10, "over-30d": 40}


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class OpenBreak:
    """A transaction and its open break."""

    transaction: Transaction
    item: Break


def open_break(
    transaction_id: str,
    *,
    reconciliation_id: str,
    amount: str,
    age_days: int,
    currency: str = "EUR",
    value_date: date | None = None,
    side: str = "statement",
    assignee: str | None = None,
) -> OpenBreak:
    """Return a statement line and its open break, `age_days` old today."""
    age_date = today() - timedelta(days=age_days)
    row = transaction(
        transaction_id,
        kind=RecordKind.STATEMENT,
        amount=amount,
        value_date=value_date or age_date,
        currency=currency,
    )
    item = Break(
        transaction_id=transaction_id,
        reconciliation_id=reconciliation_id,
        side=side,
        reason=BreakReason.NO_COUNTERPART,
        opened_at=datetime.now(UTC),
        state=BreakState.ASSIGNED if assignee else BreakState.OPEN,
        assignee=assignee,
        age_date=age_date,
    )
    return OpenBreak(transaction=row, item=item)


def run_of(
    breaks: list[OpenBreak],
    *,
    run_id: str = "run-1",
    extra: list[Transaction] | None = None,
    groups: list[MatchGroup] | None = None,
) -> MatchesProduced:
    """Return a run that carries `breaks` and reports both reconciliations."""
    return MatchesProduced(
        run_id=run_id,
        chunk_index=0,
        chunk_count=1,
        transactions=[entry.transaction for entry in breaks] + (extra or []),
        groups=groups or [],
        opened_breaks=[entry.item for entry in breaks],
        summaries=[
            ReconciliationSummary(
                reconciliation_id=EUR_RECONCILIATION,
                name="EUR nostro",
                transactions=0,
                matched=0,
                open_breaks=0,
            ),
            ReconciliationSummary(
                reconciliation_id=USD_RECONCILIATION,
                name="USD nostro",
                transactions=0,
                matched=0,
                open_breaks=0,
            ),
        ],
    )


def ageing_breaks() -> list[OpenBreak]:
    """Return open breaks of known bands in EUR and USD across two reconciliations.

    EUR nostro: 0.10 and 0.20 EUR in 0-1d, 1000.05 EUR in 8-30d, and 7.00 USD in
    over-30d. USD nostro: 2.50 USD in 2-7d and 0.70 USD in over-30d.
    """
    return [
        open_break(
            "eur-young-1",
            reconciliation_id=EUR_RECONCILIATION,
            amount="0.10",
            age_days=BAND_AGES["0-1d"],
        ),
        open_break(
            "eur-young-2",
            reconciliation_id=EUR_RECONCILIATION,
            amount="0.20",
            age_days=0,
        ),
        open_break(
            "eur-month",
            reconciliation_id=EUR_RECONCILIATION,
            amount="1000.05",
            age_days=BAND_AGES["8-30d"],
        ),
        open_break(
            "eur-rec-usd-old",
            reconciliation_id=EUR_RECONCILIATION,
            amount="7.00",
            currency="USD",
            age_days=BAND_AGES["over-30d"],
        ),
        open_break(
            "usd-week",
            reconciliation_id=USD_RECONCILIATION,
            amount="2.50",
            currency="USD",
            age_days=BAND_AGES["2-7d"],
        ),
        open_break(
            "usd-old",
            reconciliation_id=USD_RECONCILIATION,
            amount="0.70",
            currency="USD",
            age_days=BAND_AGES["over-30d"],
        ),
    ]


def group(
    group_id: str,
    transaction_ids: list[str],
    *,
    origin: GroupOrigin = GroupOrigin.ENGINE,
    status: MatchGroupStatus = MatchGroupStatus.CONFIRMED,
) -> MatchGroup:
    return MatchGroup(
        group_id=group_id,
        reconciliation_id=EUR_RECONCILIATION,
        pass_name="exact-reference" if origin == GroupOrigin.ENGINE else "manual",
        transaction_ids=transaction_ids,
        score=Decimal("1.0"),
        amount_difference=Decimal("0.00"),
        days_apart=0,
        explanation="same amount and reference",
        matched_at=datetime.now(UTC),
        status=status,
        origin=origin,
    )


def ledger(transaction_id: str, *, value_date: date) -> Transaction:
    return transaction(
        transaction_id,
        kind=RecordKind.LEDGER,
        amount="10.00",
        value_date=value_date,
        file_id="file-ledger",
    )


@dataclass(frozen=True)
class OutcomeRun:
    """A run with every outcome in EUR nostro, and the write-off that follows it."""

    run: MatchesProduced
    write_off: MatchesProduced
    value_date: date


def outcome_run(value_date: date) -> OutcomeRun:
    """Return EUR nostro transactions on `value_date` with known outcomes.

    Six are matched by the engine, two by hand, two wait in a proposed group, two
    are open breaks and one is written off after the run: 13 transactions.
    """
    engine = [ledger(f"auto-{index}", value_date=value_date) for index in range(6)]
    manual = [ledger(f"manual-{index}", value_date=value_date) for index in range(2)]
    proposed = [
        ledger(f"proposed-{index}", value_date=value_date) for index in range(2)
    ]
    breaks = [
        open_break(
            f"open-{index}",
            reconciliation_id=EUR_RECONCILIATION,
            amount="5.00",
            age_days=0,
            value_date=value_date,
        )
        for index in range(3)
    ]
    groups = [
        group("g-auto-0", ["auto-0", "auto-1"]),
        group("g-auto-1", ["auto-2", "auto-3", "auto-4", "auto-5"]),
        group("g-manual", ["manual-0", "manual-1"], origin=GroupOrigin.MANUAL),
        group(
            "g-proposed",
            ["proposed-0", "proposed-1"],
            status=MatchGroupStatus.PROPOSED,
        ),
    ]
    run = run_of(breaks, extra=engine + manual + proposed, groups=groups)
    ended = breaks[2].item.model_copy(update={"state": BreakState.WRITTEN_OFF})
    write_off = MatchesProduced(
        run_id="write-off", chunk_index=0, chunk_count=1, updated_breaks=[ended]
    )
    return OutcomeRun(run=run, write_off=write_off, value_date=value_date)
