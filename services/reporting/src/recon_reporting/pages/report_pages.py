"""Report pages: the list of reports, break ageing and match rate.

The pages call the same services as `/api/v1/reports`, so a page and its API route
show the same figures. The open break export is a link to the API's CSV route,
which also accepts the browser's session cookie.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from recon_reporting.auth.dependencies import PageMasker, PageUser
from recon_reporting.breaks import service as breaks_service
from recon_reporting.breaks.schemas import AgeBand
from recon_reporting.dependencies import SessionDep
from recon_reporting.pages.rendering import render_page
from recon_reporting.reconciliations import repository as reconciliations_repository
from recon_reporting.reports import service
from recon_reporting.reports.filters import (
    ReconciliationFilter,
    ValueDateFrom,
    ValueDateTo,
)

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/reports")
async def reports(
    request: Request, session: SessionDep, masker: PageMasker
) -> HTMLResponse:
    """List the reports and offer the open break export with its filters."""
    return render_page(
        request,
        "reports.html",
        {
            "user": masker.user,
            "reconciliations": await reconciliations_repository.list_reconciliations(
                session
            ),
            "age_bands": list(AgeBand),
            "account_hint": breaks_service.account_filter_hint(masker),
        },
    )


@router.get("/reports/ageing")
async def ageing_report(
    request: Request,
    session: SessionDep,
    user: PageUser,
    reconciliation_id: ReconciliationFilter = None,
) -> HTMLResponse:
    """Show open breaks by reconciliation, currency and age band."""
    report = await service.build_ageing_report(
        session, reconciliation_id=reconciliation_id, today=service.today_utc()
    )
    return render_page(
        request,
        "report_ageing.html",
        {
            "user": user,
            "report": report,
            "age_bands": list(AgeBand),
            "reconciliations": await reconciliations_repository.list_reconciliations(
                session
            ),
        },
    )


@router.get("/reports/match-rate")
async def match_rate_report(
    request: Request,
    session: SessionDep,
    user: PageUser,
    reconciliation_id: ReconciliationFilter = None,
    value_date_from: ValueDateFrom = None,
    value_date_to: ValueDateTo = None,
) -> HTMLResponse:
    """Show each reconciliation's transactions by outcome for a value date range."""
    report = await service.build_match_rate_report(
        session,
        reconciliation_id=reconciliation_id,
        value_date_from=value_date_from,
        value_date_to=value_date_to,
    )
    return render_page(
        request,
        "report_match_rate.html",
        {
            "user": user,
            "report": report,
            "reconciliations": await reconciliations_repository.list_reconciliations(
                session
            ),
        },
    )
