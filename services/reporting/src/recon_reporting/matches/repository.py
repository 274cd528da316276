"""SQL of match groups."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from recon_common.events import MatchGroupStatus
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.breaks.repository import AccountMatch, account_condition
from recon_reporting.models import (
    PROPOSED_CONDITION,
    ReportMatchGroup,
    ReportMatchItem,
    ReportTransaction,
)
from recon_reporting.readmodel.repository import batches


async def list_groups(
    session: AsyncSession,
    *,
    reconciliation_id: str | None,
    status: str | None = None,
    limit: int,
    offset: int,
    oldest_first: bool = False,
) -> tuple[Sequence[ReportMatchGroup], int]:
    """Return one page of match groups, newest first, and the total that match."""
    query = select(ReportMatchGroup)
    if reconciliation_id is not None:
        query = query.where(ReportMatchGroup.reconciliation_id == reconciliation_id)
    if status == MatchGroupStatus.PROPOSED:
        # As literal SQL, so that PostgreSQL reads the partial index of proposals.
        query = query.where(text(PROPOSED_CONDITION))
    elif status is not None:
        query = query.where(ReportMatchGroup.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    matched_at = ReportMatchGroup.matched_at
    rows = await session.scalars(
        query.order_by(
            matched_at if oldest_first else matched_at.desc(), ReportMatchGroup.group_id
        )
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), total or 0


async def count_proposed(session: AsyncSession) -> dict[str, int]:
    """Count proposed match groups by reconciliation id."""
    rows = await session.execute(
        select(ReportMatchGroup.reconciliation_id, func.count())
        .where(text(PROPOSED_CONDITION))
        .group_by(ReportMatchGroup.reconciliation_id)
    )
    return {reconciliation_id: count for reconciliation_id, count in rows}


@dataclass(frozen=True, slots=True)
class ProposedCount:
    """Proposed match groups and the transactions in them."""

    groups: int
    transactions: int


async def count_proposed_items(
    session: AsyncSession,
    *,
    reconciliation_id: str | None,
    account: AccountMatch | None,
) -> ProposedCount:
    """Count proposed groups and their transactions, by reconciliation and account.

    With `account`, only the transactions on the accounts it matches count, and
    only the groups that contain one. Without it, transactions that have not
    arrived in the read model count too, because their group lists them.
    """
    query = (
        select(
            func.count(func.distinct(ReportMatchItem.group_id)),
            func.count(ReportMatchItem.transaction_id),
        )
        .select_from(ReportMatchItem)
        .join(ReportMatchGroup, ReportMatchGroup.group_id == ReportMatchItem.group_id)
        .where(ReportMatchGroup.status == MatchGroupStatus.PROPOSED.value)
    )
    if reconciliation_id is not None:
        query = query.where(ReportMatchGroup.reconciliation_id == reconciliation_id)
    if account is not None:
        query = query.join(
            ReportTransaction,
            ReportTransaction.transaction_id == ReportMatchItem.transaction_id,
        ).where(account_condition(account))
    row = (await session.execute(query)).one()
    return ProposedCount(groups=row[0], transactions=row[1])


async def get_group(session: AsyncSession, *, group_id: str) -> ReportMatchGroup | None:
    """Return the match group `group_id`, if it is known."""
    return await session.get(ReportMatchGroup, group_id)


async def transaction_ids_of(
    session: AsyncSession, *, group_ids: Collection[str]
) -> dict[str, list[str]]:
    """Return the transaction ids of each group in `group_ids`, in match order."""
    found: dict[str, list[str]] = {group_id: [] for group_id in group_ids}
    for chunk in batches(sorted(set(group_ids))):
        rows = await session.execute(
            select(ReportMatchItem.group_id, ReportMatchItem.transaction_id)
            .where(ReportMatchItem.group_id.in_(chunk))
            .order_by(ReportMatchItem.group_id, ReportMatchItem.position)
        )
        for group_id, transaction_id in rows:
            found[group_id].append(transaction_id)
    return found
