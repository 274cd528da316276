"""HTTP routes of landed files."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from recon_common.errors import NotFound, error_responses
from recon_common.service_auth import InvalidServiceToken, require_service_token
from sqlalchemy.ext.asyncio import AsyncSession

from recon_ingest.dependencies import get_session
from recon_ingest.landing import repository
from recon_ingest.landing.schemas import LandedFileOut, LandedFilePage

router = APIRouter(
    prefix="/v1/files",
    tags=["files"],
    dependencies=[Depends(require_service_token)],
    responses=error_responses(InvalidServiceToken),
)

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


class FileNotFound(NotFound):
    """No landed file has the requested id."""


@router.get("")
async def list_files(
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(landed|parsed|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> LandedFilePage:
    """List landed files, newest first."""
    rows, total = await repository.list_files(
        session, status=status, limit=limit, offset=offset
    )
    return LandedFilePage(
        files=[LandedFileOut.model_validate(row) for row in rows], total=total
    )


@router.get("/{file_id}", responses=error_responses(FileNotFound))
async def get_file(session: SessionDep, file_id: str) -> LandedFileOut:
    """Return one landed file with its status and rejection reason."""
    row = await repository.get_file(session, file_id)
    if row is None:
        raise FileNotFound(f"file {file_id} not found")
    return LandedFileOut.model_validate(row)
