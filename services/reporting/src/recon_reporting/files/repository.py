"""SQL of the file list."""

from collections.abc import Sequence

from recon_common.events import FileStatus
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import ReportFile


async def list_files(
    session: AsyncSession, *, status: FileStatus | None, limit: int, offset: int
) -> tuple[Sequence[ReportFile], int]:
    """Return one page of files, newest first, and the total that match."""
    query = select(ReportFile)
    if status is not None:
        query = query.where(ReportFile.status == status.value)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(ReportFile.landed_at.desc(), ReportFile.file_id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), total or 0


async def get_file(session: AsyncSession, *, file_id: str) -> ReportFile | None:
    """Return the file `file_id`, if it is known."""
    return await session.get(ReportFile, file_id)


async def count_files(session: AsyncSession, *, status: FileStatus | None) -> int:
    """Count files, optionally only those with `status`."""
    query = select(func.count()).select_from(ReportFile)
    if status is not None:
        query = query.where(ReportFile.status == status.value)
    return await session.scalar(query) or 0
