"""HTTP routes of landed files."""

from fastapi import APIRouter
from recon_common.errors import NotFound, Unauthorized, error_responses
from recon_common.events import FileStatus

from recon_reporting.auth.dependencies import ApiUser
from recon_reporting.dependencies import SessionDep
from recon_reporting.files import repository
from recon_reporting.files.schemas import FileOut, FilePage
from recon_reporting.pagination import Limit, Offset


class FileNotFound(NotFound):
    pass


router = APIRouter(
    prefix="/api/v1/files",
    tags=["files"],
    responses=error_responses(Unauthorized),
)


@router.get("")
async def list_files(
    session: SessionDep,
    user: ApiUser,
    status: FileStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> FilePage:
    """List landed files, newest first, optionally only those with one status."""
    rows, total = await repository.list_files(
        session, status=status, limit=limit, offset=offset
    )
    items = [FileOut.model_validate(row) for row in rows]
    return FilePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{file_id}", responses=error_responses(FileNotFound))
async def get_file(file_id: str, session: SessionDep, user: ApiUser) -> FileOut:
    """Return one file with its status and rejection reason."""
    row = await repository.get_file(session, file_id=file_id)
    if row is None:
        raise FileNotFound(f"file {file_id!r} not found")
    return FileOut.model_validate(row)
