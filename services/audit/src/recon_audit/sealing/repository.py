"""SQL of the sealed segments."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.models import JournalEntry, JournalSegment


async def latest_segment(session: AsyncSession) -> JournalSegment | None:
    """Return the segment with the highest sequence range, stored or not."""
    return await session.scalar(
        select(JournalSegment).order_by(JournalSegment.first_sequence.desc()).limit(1)
    )


async def list_segments(session: AsyncSession) -> Sequence[JournalSegment]:
    """Return every recorded segment in sequence order."""
    return (
        await session.scalars(
            select(JournalSegment).order_by(JournalSegment.first_sequence)
        )
    ).all()


async def entries_between(
    session: AsyncSession, *, first_sequence: int, last_sequence: int
) -> Sequence[JournalEntry]:
    """Return the entries first..last in sequence order."""
    return (
        await session.scalars(
            select(JournalEntry)
            .where(JournalEntry.sequence.between(first_sequence, last_sequence))
            .order_by(JournalEntry.sequence)
        )
    ).all()
