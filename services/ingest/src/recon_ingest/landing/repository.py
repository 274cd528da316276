"""SQL of landed files."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_ingest.models import LandedFile


async def get_file(session: AsyncSession, file_id: str) -> LandedFile | None:
    """Return the landed file with `file_id`, if any."""
    return await session.get(LandedFile, file_id)


async def find_parsed_duplicate(
    session: AsyncSession, *, bank_id: str, sha256: str, exclude_file_id: str
) -> LandedFile | None:
    """Return an earlier parsed file of the bank with the same content, if any."""
    return await session.scalar(
        select(LandedFile)
        .where(
            LandedFile.bank_id == bank_id,
            LandedFile.sha256 == sha256,
            LandedFile.status == "parsed",
            LandedFile.file_id != exclude_file_id,
        )
        .order_by(LandedFile.landed_at)
        .limit(1)
    )


async def list_files(
    session: AsyncSession, *, status: str | None, limit: int, offset: int
) -> tuple[Sequence[LandedFile], int]:
    """Return a page of landed files, newest first, and the total count."""
    query = select(LandedFile)
    count = select(func.count()).select_from(LandedFile)
    if status is not None:
        query = query.where(LandedFile.status == status)
        count = count.where(LandedFile.status == status)
    rows = await session.scalars(
        query.order_by(LandedFile.landed_at.desc()).limit(limit).offset(offset)
    )
    return rows.all(), int(await session.scalar(count) or 0)
