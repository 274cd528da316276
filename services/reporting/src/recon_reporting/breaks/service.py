"""Break ages and age bands.

A break's age is the number of calendar days between its `age_date` and today in UTC.
The matcher sets `age_date` per the definition's age basis: the transaction's value
date or the day it arrived. Breaks from messages without `age_date` count from the UTC
day they opened, so a break opened yesterday at 23:59 is one day old at 00:01.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.access.redaction import AccountMasker
from recon_reporting.breaks import repository
from recon_reporting.breaks.schemas import AgeBand, BreakOut, BreakPage, CommentOut

# Inclusive day ranges. None means no upper limit.
_BAND_DAYS: dict[AgeBand, tuple[int, int | None]] = {
    AgeBand.DAYS_0_1: (0, 1),
    AgeBand.DAYS_2_7: (2, 7),
    AgeBand.DAYS_8_30: (8, 30),
    AgeBand.OVER_30: (31, None),
}


def age_start(*, age_date: date | None, opened_at: datetime) -> date:
    """Return the day a break's age counts from: `age_date`, else its opening day."""
    if age_date is not None:
        return age_date
    return opened_at.astimezone(UTC).date()


def age_days(*, age_date: date | None, opened_at: datetime, today: date) -> int:
    """Return the break's age in whole days, 0 for an age date in the future."""
    start = age_start(age_date=age_date, opened_at=opened_at)
    return max((today - start).days, 0)


def age_dates_between(band: AgeBand, *, today: date) -> tuple[date | None, date]:
    """Return the inclusive range of age dates that put a break in `band` today."""
    low, high = _BAND_DAYS[band]
    # Age <= high means an age date on or after today - high.
    earliest = None if high is None else today - timedelta(days=high)
    # Age >= low means an age date on or before today - low.
    latest = today - timedelta(days=low)
    return earliest, latest


@dataclass(frozen=True, slots=True)
class BreakQuery:
    """Conditions and page of a break search."""

    reconciliation_id: str | None = None
    account: str | None = None
    age_band: AgeBand | None = None
    limit: int = 50
    offset: int = 0


async def search_breaks(
    session: AsyncSession, *, query: BreakQuery, masker: AccountMasker
) -> BreakPage:
    """Return one page of open breaks with their ages, redacted for the user."""
    today = datetime.now(UTC).date()
    earliest, latest = (
        age_dates_between(query.age_band, today=today)
        if query.age_band is not None
        else (None, None)
    )
    rows, total = await repository.list_breaks(
        session,
        reconciliation_id=query.reconciliation_id,
        account=query.account,
        age_date_from=earliest,
        age_date_to=latest,
        limit=query.limit,
        offset=query.offset,
    )
    comments = await repository.comments_of(
        session,
        target_type="break",
        target_ids=[item.transaction_id for item, _ in rows],
    )
    items = [
        BreakOut(
            transaction_id=item.transaction_id,
            reconciliation_id=item.reconciliation_id,
            side=item.side,
            reason=item.reason,
            opened_at=item.opened_at,
            age_days=age_days(
                age_date=item.age_date, opened_at=item.opened_at, today=today
            ),
            account=masker.show(
                transaction.account if transaction else None,
                resource_id=item.transaction_id,
                field="account",
            ),
            currency=transaction.currency if transaction else None,
            amount=transaction.amount if transaction else None,
            direction=transaction.direction if transaction else None,
            value_date=transaction.value_date if transaction else None,
            state=item.state,
            assignee=item.assignee,
            amount_band=item.amount_band,
            age_basis=item.age_basis,
            age_date=item.age_date,
            pending_approval_id=item.pending_approval_id,
            pending_action=item.pending_action,
            requested_by=item.requested_by,
            comments=[
                CommentOut(author=row.author, body=row.body, created_at=row.created_at)
                for row in comments.get(item.transaction_id, [])
            ],
        )
        for item, transaction in rows
    ]
    return BreakPage(items=items, total=total, limit=query.limit, offset=query.offset)
