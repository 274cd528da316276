"""Match groups with their transactions."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.access.redaction import AccountMasker
from recon_reporting.matches import repository
from recon_reporting.matches.schemas import MatchGroupDetail, MatchGroupOut
from recon_reporting.models import ReportMatchGroup
from recon_reporting.transactions import repository as transactions_repository
from recon_reporting.transactions.service import transaction_out


def _fields(row: ReportMatchGroup) -> dict[str, object]:
    return {
        "group_id": row.group_id,
        "reconciliation_id": row.reconciliation_id,
        "pass_name": row.pass_name,
        "score": row.score,
        "amount_difference": row.amount_difference,
        "days_apart": row.days_apart,
        "explanation": row.explanation,
        "matched_at": row.matched_at,
        "status": row.status,
        "origin": row.origin,
        "definition_version": row.definition_version,
    }


def single_currency(group: MatchGroupDetail) -> str | None:
    """Return the currency of the group's transactions, if they share exactly one.

    The read model stores no currency on a group. A group gets none when none of
    its transactions has arrived, or when those that have are in several currencies.
    """
    currencies = {item.currency for item in group.items}
    return currencies.pop() if len(currencies) == 1 else None


async def groups_out(
    session: AsyncSession, *, rows: Sequence[ReportMatchGroup]
) -> list[MatchGroupOut]:
    """Return the API view of `rows` with their transaction ids."""
    ids = await repository.transaction_ids_of(
        session, group_ids=[row.group_id for row in rows]
    )
    return [
        MatchGroupOut.model_validate(
            {**_fields(row), "transaction_ids": ids[row.group_id]}
        )
        for row in rows
    ]


async def groups_with_items(
    session: AsyncSession, *, rows: Sequence[ReportMatchGroup], masker: AccountMasker
) -> list[MatchGroupDetail]:
    """Return `rows` with the transactions each pairs, redacted for the user."""
    ids = await repository.transaction_ids_of(
        session, group_ids=[row.group_id for row in rows]
    )
    transactions = await transactions_repository.get_transactions(
        session, transaction_ids=[tid for group in ids.values() for tid in group]
    )
    details: list[MatchGroupDetail] = []
    for row in rows:
        group_ids = ids[row.group_id]
        items = [
            transaction_out(transactions[tid], masker=masker)
            for tid in group_ids
            if tid in transactions
        ]
        details.append(
            MatchGroupDetail.model_validate(
                {**_fields(row), "transaction_ids": group_ids, "items": items}
            )
        )
    return details


async def group_detail(
    session: AsyncSession, *, row: ReportMatchGroup, masker: AccountMasker
) -> MatchGroupDetail:
    """Return one group with the transactions it pairs, redacted for the user."""
    details = await groups_with_items(session, rows=[row], masker=masker)
    return details[0]
