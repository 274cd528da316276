"""The break ageing and match rate reports.

Amounts stay `Decimal` from the database to the response. Sums are kept per
currency, and amounts in different currencies are never added.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from recon_common.errors import InvalidRequest
from recon_common.events import GroupOrigin, MatchGroupStatus
from recon_common.money import AmountError, minor_units
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.breaks.schemas import AgeBand
from recon_reporting.breaks.service import age_dates_between
from recon_reporting.models import TransactionStatus
from recon_reporting.reconciliations import repository as reconciliations_repository
from recon_reporting.reconciliations.service import auto_match_rate
from recon_reporting.reports import repository
from recon_reporting.reports.schemas import (
    AgeingCurrencyTotal,
    AgeingReport,
    AgeingRow,
    BandFigures,
    MatchRateReport,
    MatchRateRow,
)


class InvalidDateRange(InvalidRequest):
    pass


def today_utc() -> date:
    """Return the current UTC day, from which break ages count."""
    return datetime.now(UTC).date()


def canonical_amount(amount: Decimal, currency: str | None) -> Decimal:
    """Return `amount` with the currency's minor units, or more decimals if it has them.

    PostgreSQL returns sums with the column's 10 decimals. Trailing zeros past the
    currency's minor units are dropped, and no digit that is not zero is rounded.
    """
    try:
        places = minor_units(currency or "")
    except AmountError:
        places = 0
    exponent = amount.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return amount.quantize(Decimal(1).scaleb(-max(decimals, places)))


def age_band_of(age_date: date | None, *, today: date) -> AgeBand:
    """Return the age band of a break whose age counts from `age_date`.

    An age date after today, or a missing one, gives age 0, as the break list shows.
    """
    start = today if age_date is None or age_date > today else age_date
    for band in AgeBand:
        earliest, latest = age_dates_between(band, today=today)
        if (latest is None or start <= latest) and (
            earliest is None or start >= earliest
        ):
            return band
    # The bands cover every age from 0 up, so this is not reached.
    raise ValueError(f"no age band contains the age date {age_date}")


@dataclass(slots=True)
class _BandSums:
    """Counts and amount sums of one currency's open breaks by age band."""

    currency: str | None
    counts: dict[AgeBand, int] = field(default_factory=lambda: defaultdict(int))
    amounts: dict[AgeBand, Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )

    def add(self, band: AgeBand, *, count: int, amount: Decimal | None) -> None:
        self.counts[band] += count
        if amount is not None:
            self.amounts[band] += amount

    def _amount(self, value: Decimal) -> Decimal | None:
        # Without a currency the transactions are missing, so the amounts are too.
        if self.currency is None:
            return None
        return canonical_amount(value, self.currency)

    def bands(self) -> list[BandFigures]:
        return [
            BandFigures(
                band=band,
                count=self.counts[band],
                amount=self._amount(self.amounts[band]),
            )
            for band in AgeBand
        ]

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def amount(self) -> Decimal | None:
        return self._amount(sum(self.amounts.values(), Decimal(0)))


def _currency_key(currency: str | None) -> str:
    # Breaks of an unknown currency come last.
    return "\uffff" if currency is None else currency


async def build_ageing_report(
    session: AsyncSession, *, reconciliation_id: str | None, today: date
) -> AgeingReport:
    """Count and sum open breaks by reconciliation, currency and age band."""
    figures = await repository.ageing_figures(
        session, reconciliation_id=reconciliation_id
    )
    rows: dict[tuple[str, str | None], _BandSums] = {}
    totals: dict[str | None, _BandSums] = {}
    for figure in figures:
        band = age_band_of(figure.age_date, today=today)
        key = (figure.reconciliation_id, figure.currency)
        for sums in (
            rows.setdefault(key, _BandSums(currency=figure.currency)),
            totals.setdefault(figure.currency, _BandSums(currency=figure.currency)),
        ):
            sums.add(band, count=figure.count, amount=figure.amount)
    names = {
        row.reconciliation_id: row.name
        for row in await reconciliations_repository.list_reconciliations(session)
    }
    return AgeingReport(
        as_of=today,
        reconciliation_id=reconciliation_id,
        rows=[
            AgeingRow(
                reconciliation_id=row_reconciliation,
                name=names.get(row_reconciliation),
                currency=currency,
                bands=sums.bands(),
                count=sums.count,
                amount=sums.amount,
            )
            for (row_reconciliation, currency), sums in sorted(
                rows.items(), key=lambda item: (item[0][0], _currency_key(item[0][1]))
            )
        ],
        totals=[
            AgeingCurrencyTotal(
                currency=currency,
                bands=sums.bands(),
                count=sums.count,
                amount=sums.amount,
            )
            for currency, sums in sorted(
                totals.items(), key=lambda item: _currency_key(item[0])
            )
        ],
    )


@dataclass(slots=True)
class _OutcomeTally:
    """Transactions of one reconciliation, or of all, by outcome."""

    auto_matched: int = 0
    manually_matched: int = 0
    proposed: int = 0
    open: int = 0
    written_off: int = 0
    closed: int = 0
    pending: int = 0

    def add(self, count: repository.OutcomeCount) -> None:
        status = count.status
        if status == TransactionStatus.MATCHED:
            if count.group_status == MatchGroupStatus.PROPOSED:
                self.proposed += count.count
            elif count.group_origin == GroupOrigin.MANUAL:
                self.manually_matched += count.count
            else:
                self.auto_matched += count.count
        elif status == TransactionStatus.OPEN:
            self.open += count.count
        elif status == TransactionStatus.WRITTEN_OFF:
            self.written_off += count.count
        elif status == TransactionStatus.CLOSED:
            self.closed += count.count
        else:
            # The remaining status is pending, because unassigned transactions
            # have no reconciliation id and the query leaves them out.
            self.pending += count.count

    def row(self, *, reconciliation_id: str | None, name: str | None) -> MatchRateRow:
        transactions = (
            self.auto_matched
            + self.manually_matched
            + self.proposed
            + self.open
            + self.written_off
            + self.closed
            + self.pending
        )
        return MatchRateRow(
            reconciliation_id=reconciliation_id,
            name=name,
            transactions=transactions,
            auto_matched=self.auto_matched,
            manually_matched=self.manually_matched,
            proposed=self.proposed,
            open=self.open,
            written_off=self.written_off,
            closed=self.closed,
            pending=self.pending,
            auto_match_rate=auto_match_rate(self.auto_matched, transactions),
        )


def check_date_range(
    *, value_date_from: date | None, value_date_to: date | None
) -> None:
    """Raise `InvalidDateRange` if the range ends before it starts."""
    if value_date_from is not None and value_date_to is not None:
        if value_date_from > value_date_to:
            raise InvalidDateRange(
                f"invalid value date range: value_date_from {value_date_from} is "
                f"after value_date_to {value_date_to}; swap the two dates"
            )


async def build_match_rate_report(
    session: AsyncSession,
    *,
    reconciliation_id: str | None,
    value_date_from: date | None,
    value_date_to: date | None,
) -> MatchRateReport:
    """Count each reconciliation's transactions by outcome, for a value date range."""
    check_date_range(value_date_from=value_date_from, value_date_to=value_date_to)
    counts = await repository.outcome_counts(
        session,
        reconciliation_id=reconciliation_id,
        value_date_from=value_date_from,
        value_date_to=value_date_to,
    )
    tallies: dict[str, _OutcomeTally] = {}
    total = _OutcomeTally()
    for count in counts:
        tallies.setdefault(count.reconciliation_id, _OutcomeTally()).add(count)
        total.add(count)
    names = {
        row.reconciliation_id: row.name
        for row in await reconciliations_repository.list_reconciliations(session)
    }
    return MatchRateReport(
        value_date_from=value_date_from,
        value_date_to=value_date_to,
        reconciliation_id=reconciliation_id,
        rows=[
            tally.row(
                reconciliation_id=row_reconciliation,
                name=names.get(row_reconciliation),
            )
            for row_reconciliation, tally in sorted(tallies.items())
        ],
        total=total.row(reconciliation_id=None, name=None),
    )
