"""API models of the break ageing and match rate reports."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from recon_reporting.breaks.schemas import AgeBand

_AMOUNT_DESCRIPTION = (
    "sum of the breaks' amounts, a decimal string. Amounts are stored unsigned with "
    "a debit or credit direction, so the sum is gross: debits do not net against "
    "credits. None when the breaks' transactions have not reached the read model, "
    "so their currency and amount are unknown"
)


class BandFigures(BaseModel):
    """Open breaks of one age band: how many and the sum of their amounts."""

    band: AgeBand
    count: int
    amount: Decimal | None = Field(description=_AMOUNT_DESCRIPTION)


class AgeingRow(BaseModel):
    """Open breaks of one reconciliation in one currency, by age band."""

    reconciliation_id: str
    # None when the matcher has not reported the reconciliation's counts yet.
    name: str | None
    currency: str | None = Field(
        description="ISO 4217 code, None for breaks whose transaction has not "
        "reached the read model"
    )
    bands: list[BandFigures] = Field(description="every age band, youngest first")
    count: int
    amount: Decimal | None = Field(description=_AMOUNT_DESCRIPTION)


class AgeingCurrencyTotal(BaseModel):
    """Open breaks of one currency over the reconciliations of the report."""

    currency: str | None
    bands: list[BandFigures] = Field(description="every age band, youngest first")
    count: int
    amount: Decimal | None = Field(description=_AMOUNT_DESCRIPTION)


class AgeingReport(BaseModel):
    """Open breaks by reconciliation, currency and age band, with currency totals."""

    as_of: date = Field(description="the UTC day from which break ages count")
    reconciliation_id: str | None
    rows: list[AgeingRow] = Field(description="by reconciliation id, then currency")
    totals: list[AgeingCurrencyTotal] = Field(
        description="one total per currency, because amounts in different "
        "currencies are never added"
    )


class MatchRateRow(BaseModel):
    """Outcome of the transactions of one reconciliation, or of all of them."""

    reconciliation_id: str | None = Field(description="None in the total row")
    name: str | None
    transactions: int = Field(description="all transactions that the row counts")
    auto_matched: int = Field(
        description="in confirmed groups that the matching engine made"
    )
    manually_matched: int = Field(description="in confirmed groups an operator made")
    proposed: int = Field(description="in proposed groups that wait for review")
    open: int = Field(description="open breaks, assigned or not")
    written_off: int
    closed: int = Field(description="breaks that an operator force-closed")
    pending: int = Field(
        description="in no group and no break, for example while a dissolved group "
        "waits for the next run"
    )
    auto_match_rate: Decimal = Field(
        description="auto_matched / transactions, 0 to 1, four places"
    )


class MatchRateReport(BaseModel):
    """Match outcomes per reconciliation for transactions in a value date range."""

    value_date_from: date | None
    value_date_to: date | None
    reconciliation_id: str | None
    rows: list[MatchRateRow] = Field(description="by reconciliation id")
    total: MatchRateRow
