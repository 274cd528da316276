"""Break ages and age bands.

A break's age is the number of calendar days between its `age_date` and today in UTC.
The matcher sets `age_date` per the definition's age basis: the transaction's value
date or the day it arrived. Breaks from messages without `age_date` count from the UTC
day they opened, so a break opened yesterday at 23:59 is one day old at 00:01.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from recon_common.errors import InvalidRequest
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.access.redaction import MASK, AccountMasker
from recon_reporting.breaks import repository
from recon_reporting.breaks.repository import AccountMatch
from recon_reporting.breaks.schemas import AgeBand, BreakOut, BreakPage, CommentOut
from recon_reporting.models import ACCOUNT_SUFFIX_CHARS

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


def age_dates_between(band: AgeBand, *, today: date) -> tuple[date | None, date | None]:
    """Return the inclusive range of age dates that put a break in `band` today.

    None leaves that end open. The youngest band has no latest date, because a
    break whose age date is in the future has age 0, as the list shows it.
    """
    low, high = _BAND_DAYS[band]
    # Age <= high means an age date on or after today - high.
    earliest = None if high is None else today - timedelta(days=high)
    # Age >= low means an age date on or before today - low.
    latest = None if low == 0 else today - timedelta(days=low)
    return earliest, latest


# Minimum number of last digits that the account filter matches as an ending.
MIN_ENDING_DIGITS: Final = ACCOUNT_SUFFIX_CHARS
ACCOUNT_FILTER_HELP: Final = (
    f"The full account number, or {MIN_ENDING_DIGITS} or more of its last digits "
    f"as redacted pages show them ({MASK}3000 or 3000). Roles that see accounts "
    "redacted match only as many last digits as the pages show them; a longer "
    "number matches only an account with exactly that number."
)


class InvalidAccountFilter(InvalidRequest):
    pass


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """An account filter as typed, and how the break list matches it."""

    text: str
    match: AccountMatch
    # True when the digits could match as an ending for roles that see accounts in
    # full, but the user sees them redacted, so only the full number matches.
    ending_withheld: bool = False


def parse_account_filter(text: str, *, masker: AccountMasker) -> AccountFilter:
    """Parse an account filter: a full number, or the last digits of one.

    Digits, or digits after the redaction mask, match the accounts that end in
    them. A user who sees accounts redacted may use only as many digits as the
    pages show, so the filter cannot reveal digits that the pages hide.
    """
    typed = text.strip()
    pasted = typed.startswith(MASK)
    digits = typed.removeprefix(MASK).replace(" ", "")
    is_digits = digits.isascii() and digits.isdigit()
    visible = masker.visible_chars
    allowed = is_digits and len(digits) >= MIN_ENDING_DIGITS
    if allowed and not masker.unredacted and len(digits) > visible:
        if pasted:
            raise InvalidAccountFilter(_withheld_message(typed, visible=visible))
        return AccountFilter(
            text=typed, match=AccountMatch(value=typed), ending_withheld=True
        )
    if allowed:
        minimum = 0 if masker.unredacted else visible
        match = AccountMatch(value=digits, ending=True, min_length=minimum)
        return AccountFilter(text=typed, match=match)
    if pasted:
        raise InvalidAccountFilter(
            f"invalid account filter {typed!r}: after {MASK} enter at least "
            f"{MIN_ENDING_DIGITS} digits, the end of the account as the pages show "
            "it, or enter the full account number"
        )
    return AccountFilter(text=typed, match=AccountMatch(value=typed))


def account_filter_hint(masker: AccountMasker) -> str:
    """Return the forms of account filter that this user may enter, for a label."""
    visible = masker.visible_chars
    if masker.unredacted:
        return f"the full number, or {MIN_ENDING_DIGITS} or more of its last digits"
    if visible < MIN_ENDING_DIGITS:
        return "the full number"
    if visible == MIN_ENDING_DIGITS:
        return f"the full number, or its last {visible} digits as shown"
    return (
        f"the full number, or {MIN_ENDING_DIGITS} to {visible} of its last digits "
        "as shown"
    )


def _withheld_message(typed: str, *, visible: int) -> str:
    if visible < MIN_ENDING_DIGITS:
        return (
            f"invalid account filter {typed!r}: the pages show you no more than "
            f"{visible} characters of an account, and matching the end of an account "
            f"needs {MIN_ENDING_DIGITS} digits, so enter the full account number"
        )
    return (
        f"invalid account filter {typed!r}: the pages show you the last {visible} "
        f"characters of an account, so enter at most {visible} last digits, or the "
        "full account number"
    )


@dataclass(frozen=True, slots=True)
class BreakQuery:
    """Conditions and page of a break search."""

    reconciliation_id: str | None = None
    account: AccountFilter | None = None
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
        account=query.account.match if query.account is not None else None,
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
