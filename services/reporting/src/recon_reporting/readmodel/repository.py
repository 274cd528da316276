"""SQL of the read model's writer: bulk loads by natural key and deletes."""

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import ReportBreak, ReportMatchGroup, ReportMatchItem

# Oracle accepts at most 1000 expressions in one IN list.
_IN_BATCH = 500


def batches[T](values: Sequence[T], size: int = _IN_BATCH) -> Iterator[Sequence[T]]:
    """Yield `values` in slices of at most `size` items."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def load_by_key[M](
    session: AsyncSession, model: type[M], column: Any, keys: Collection[str]
) -> dict[str, M]:
    """Return the rows of `model` whose `column` is in `keys`, by that key."""
    found: dict[str, M] = {}
    ordered = sorted(set(keys))
    for chunk in batches(ordered):
        rows = (await session.scalars(select(model).where(column.in_(chunk)))).all()
        for row in rows:
            found[getattr(row, column.key)] = row
    return found


async def load_items(
    session: AsyncSession, *, transaction_ids: Collection[str]
) -> dict[str, tuple[str, str]]:
    """Return `transaction_id -> (group_id, reconciliation_id)` for matched ids."""
    links: dict[str, tuple[str, str]] = {}
    for chunk in batches(sorted(set(transaction_ids))):
        rows = await session.execute(
            select(
                ReportMatchItem.transaction_id,
                ReportMatchGroup.group_id,
                ReportMatchGroup.reconciliation_id,
            )
            .join(
                ReportMatchGroup,
                ReportMatchGroup.group_id == ReportMatchItem.group_id,
            )
            .where(ReportMatchItem.transaction_id.in_(chunk))
        )
        for transaction_id, group_id, reconciliation_id in rows:
            links[transaction_id] = (group_id, reconciliation_id)
    return links


async def load_group_items(
    session: AsyncSession, *, group_ids: Collection[str]
) -> dict[tuple[str, str], ReportMatchItem]:
    """Return the items of `group_ids` by `(group_id, transaction_id)`."""
    found: dict[tuple[str, str], ReportMatchItem] = {}
    for chunk in batches(sorted(set(group_ids))):
        rows = await session.scalars(
            select(ReportMatchItem).where(ReportMatchItem.group_id.in_(chunk))
        )
        for row in rows:
            found[(row.group_id, row.transaction_id)] = row
    return found


async def delete_breaks(
    session: AsyncSession, *, transaction_ids: Sequence[str]
) -> None:
    """Delete the open breaks of `transaction_ids`, if they exist."""
    for chunk in batches(sorted(set(transaction_ids))):
        await session.execute(
            delete(ReportBreak)
            .where(ReportBreak.transaction_id.in_(chunk))
            .execution_options(synchronize_session="fetch")
        )


async def dissolve_groups(
    session: AsyncSession, *, group_ids: Sequence[str]
) -> set[str]:
    """Delete `group_ids` with their items and return the items' transaction ids."""
    items = await load_group_items(session, group_ids=group_ids)
    for chunk in batches(sorted(set(group_ids))):
        await session.execute(
            delete(ReportMatchItem)
            .where(ReportMatchItem.group_id.in_(chunk))
            .execution_options(synchronize_session="fetch")
        )
        await session.execute(
            delete(ReportMatchGroup)
            .where(ReportMatchGroup.group_id.in_(chunk))
            .execution_options(synchronize_session="fetch")
        )
    return {transaction_id for _, transaction_id in items}
