"""SQL of open breaks."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import (
    ACCOUNT_SUFFIX_CHARS,
    ReportBreak,
    ReportComment,
    ReportTransaction,
)


@dataclass(frozen=True, slots=True)
class AccountMatch:
    """An account filter: the full number, and with `ending` its last digits too.

    With `ending`, an account also matches when it ends in `value`, unless it has
    at most `min_length` characters without spaces. A redacted page shows none of
    such a short account, so its ending must not match either.
    """

    value: str
    ending: bool = False
    min_length: int = 0


def account_condition(match: AccountMatch) -> ColumnElement[bool]:
    """Return the SQL condition on `ReportTransaction` of an account filter.

    The ending goes through the indexed `account_suffix` column, because a LIKE
    with a leading wildcard cannot use a B-tree index and scans every transaction.
    With the index the cost grows with the transactions on the matching accounts,
    as it does for the full number. bench/account_filter_benchmark.py
    ran on PostgreSQL 15 with 1M transactions and 45,454 open breaks, on a 2-core
    machine shared with other jobs (load 5 to 6). Counting one account's breaks took
    158 ms by full number, 156 ms by last 4 digits and 192 ms by last 8 digits. A
    plain LIKE scanned all transactions and took 214 ms.
    """
    exact = ReportTransaction.account == match.value
    if not match.ending:
        return exact
    compact = func.replace(ReportTransaction.account, " ", "")
    ending = [ReportTransaction.account_suffix == match.value[-ACCOUNT_SUFFIX_CHARS:]]
    if len(match.value) > ACCOUNT_SUFFIX_CHARS:
        ending.append(compact.endswith(match.value, autoescape=True))
    if match.min_length > 0:
        ending.append(func.length(compact) > match.min_length)
    return or_(exact, and_(*ending))


async def list_breaks(
    session: AsyncSession,
    *,
    reconciliation_id: str | None,
    account: AccountMatch | None,
    age_date_from: date | None,
    age_date_to: date | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[ReportBreak, ReportTransaction | None]], int]:
    """Return one page of open breaks, oldest first, and the total that match.

    Oldest means the earliest age date, so the order matches the ages shown. The read
    model fills `age_date` of every break, so the filters need no fallback.
    """
    age_start = ReportBreak.age_date
    query = select(ReportBreak, ReportTransaction).outerjoin(
        ReportTransaction,
        ReportTransaction.transaction_id == ReportBreak.transaction_id,
    )
    if reconciliation_id is not None:
        query = query.where(ReportBreak.reconciliation_id == reconciliation_id)
    if account is not None:
        query = query.where(account_condition(account))
    if age_date_from is not None:
        query = query.where(age_start >= age_date_from)
    if age_date_to is not None:
        query = query.where(age_start <= age_date_to)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(age_start, ReportBreak.transaction_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def count_breaks(
    session: AsyncSession, *, reconciliation_id: str | None = None
) -> int:
    """Count open breaks, optionally of one reconciliation."""
    query = select(func.count()).select_from(ReportBreak)
    if reconciliation_id is not None:
        query = query.where(ReportBreak.reconciliation_id == reconciliation_id)
    return await session.scalar(query) or 0


async def comments_of(
    session: AsyncSession, *, target_type: str, target_ids: Collection[str]
) -> dict[str, list[ReportComment]]:
    """Return the comments on each of `target_ids`, oldest first."""
    found: dict[str, list[ReportComment]] = {}
    ids = sorted(set(target_ids))
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(ReportComment)
            .where(
                ReportComment.target_type == target_type,
                ReportComment.target_id.in_(ids[start : start + 500]),
            )
            .order_by(ReportComment.created_at, ReportComment.comment_id)
        )
        for row in rows:
            found.setdefault(row.target_id, []).append(row)
    return found
