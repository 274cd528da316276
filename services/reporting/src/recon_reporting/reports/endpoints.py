"""HTTP routes of the reports: break ageing, match rate and the open break export.

The ageing and match rate reports show counts and amount sums but no account
numbers, so, like the summary and the reconciliation list, they are not audited.
The export shows accounts, redacted by role, and audits the rows that a role reads
unredacted, as the break list does.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from recon_common.errors import Unauthorized, error_responses
from starlette.background import BackgroundTask

from recon_reporting.auth.dependencies import ApiMasker, ApiUser, client_address
from recon_reporting.breaks import service as breaks_service
from recon_reporting.dependencies import RuntimeDep, SessionDep, SettingsDep
from recon_reporting.reports import service
from recon_reporting.reports.export import BreakExport, stream_breaks_csv
from recon_reporting.reports.filters import (
    AccountFilterText,
    AgeBandFilter,
    ReconciliationFilter,
    ValueDateFrom,
    ValueDateTo,
)
from recon_reporting.reports.repository import BreakFilters
from recon_reporting.reports.schemas import AgeingReport, MatchRateReport

router = APIRouter(
    prefix="/api/v1/reports",
    tags=["reports"],
    responses=error_responses(Unauthorized),
)


@router.get("/ageing")
async def get_ageing_report(
    session: SessionDep, user: ApiUser, reconciliation_id: ReconciliationFilter = None
) -> AgeingReport:
    """Count and sum open breaks by reconciliation, currency and age band."""
    return await service.build_ageing_report(
        session, reconciliation_id=reconciliation_id, today=service.today_utc()
    )


@router.get("/match-rate", responses=error_responses(service.InvalidDateRange))
async def get_match_rate_report(
    session: SessionDep,
    user: ApiUser,
    reconciliation_id: ReconciliationFilter = None,
    value_date_from: ValueDateFrom = None,
    value_date_to: ValueDateTo = None,
) -> MatchRateReport:
    """Count transactions by outcome per reconciliation, for a value date range."""
    return await service.build_match_rate_report(
        session,
        reconciliation_id=reconciliation_id,
        value_date_from=value_date_from,
        value_date_to=value_date_to,
    )


_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "UTF-8 CSV with a byte order mark and a header row",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/breaks.csv",
    response_class=StreamingResponse,
    responses={
        **_CSV_RESPONSE,
        **error_responses(breaks_service.InvalidAccountFilter),
    },
)
async def export_breaks_csv(
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    masker: ApiMasker,
    reconciliation_id: ReconciliationFilter = None,
    account: AccountFilterText = None,
    age_band: AgeBandFilter = None,
) -> StreamingResponse:
    """Export open breaks as CSV, oldest first, with the break list's filters."""
    today = service.today_utc()
    account_filter = (
        breaks_service.parse_account_filter(account, masker=masker)
        if account is not None
        else None
    )
    earliest, latest = (
        breaks_service.age_dates_between(age_band, today=today)
        if age_band is not None
        else (None, None)
    )
    resource = request.url.path
    if request.url.query:
        resource += "?" + request.url.query
    export = BreakExport(
        filters=BreakFilters(
            reconciliation_id=reconciliation_id,
            account=account_filter.match if account_filter is not None else None,
            age_date_from=earliest,
            age_date_to=latest,
        ),
        masker=masker,
        today=today,
        resource=resource,
        client_address=client_address(request),
    )
    stream = stream_breaks_csv(runtime, settings=settings, export=export)
    filename = f"open-breaks-{today.isoformat()}.csv"
    return StreamingResponse(
        stream,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        # After a client disconnects, Starlette may leave the generator suspended
        # without closing it. Closing it here ends its database session at once.
        background=BackgroundTask(stream.aclose),
    )
