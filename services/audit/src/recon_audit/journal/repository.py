"""SQL of the audit journal."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.models import JournalEntry, JournalHead

GENESIS_HASH = "0" * 64


async def get_head(session: AsyncSession) -> JournalHead | None:
    """Return the journal head row, if any entry was ever appended."""
    return await session.get(JournalHead, 1)


async def lock_head(session: AsyncSession) -> JournalHead:
    """Return the journal head row locked for update, creating it on first use."""
    head = await session.scalar(
        select(JournalHead).where(JournalHead.id == 1).with_for_update()
    )
    if head is None:
        head = JournalHead(id=1, last_sequence=0, last_hash=GENESIS_HASH)
        session.add(head)
        await session.flush()
    return head


async def list_entries(
    session: AsyncSession,
    *,
    after_sequence: int,
    limit: int,
    action: str | None,
    actor: str | None,
) -> Sequence[JournalEntry]:
    """Return entries after a sequence number, oldest first, filtered."""
    query = select(JournalEntry).where(JournalEntry.sequence > after_sequence)
    if action is not None:
        query = query.where(JournalEntry.action == action)
    if actor is not None:
        query = query.where(JournalEntry.actor == actor)
    return (
        await session.scalars(query.order_by(JournalEntry.sequence).limit(limit))
    ).all()
