"""The page of one landed file: its details, warnings and, if rejected, what to do.

NOTE: warnings and rejection reasons are shown unredacted, as on the Files page.
Ingest writes line numbers, statement and entry ids, amounts and file names into
warnings, but no account numbers. A rejection reason can quote the cell that failed
to parse, which would show an account number only if the CSV profile maps an account
column to a date or amount.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from recon_common.errors import NotFound

from recon_reporting.auth.dependencies import PageUser
from recon_reporting.dependencies import SessionDep
from recon_reporting.files import repository as files_repository
from recon_reporting.files.advice import advise
from recon_reporting.files.schemas import FileOut
from recon_reporting.pages.rendering import render_page

router = APIRouter(include_in_schema=False)


@router.get("/files/{file_id}", response_class=HTMLResponse)
async def file_page(
    file_id: str, request: Request, session: SessionDep, user: PageUser
) -> HTMLResponse:
    """Show one file with its details, warnings and what to do if it was rejected."""
    row = await files_repository.get_file(session, file_id=file_id)
    if row is None:
        raise NotFound(
            f"file {file_id!r} not found; the Files page lists every file that "
            "the reporting service has received"
        )
    file = FileOut.model_validate(row)
    advice = None
    earlier_file_known = False
    if file.rejection_reason is not None and file.rejection_advice is not None:
        advice = advise(file.rejection_reason)
        if advice.earlier_file_id is not None:
            earlier = await files_repository.get_file(
                session, file_id=advice.earlier_file_id
            )
            earlier_file_known = earlier is not None
    return render_page(
        request,
        "file.html",
        {
            "user": user,
            "file": file,
            "advice": advice,
            "earlier_file_known": earlier_file_known,
        },
    )
