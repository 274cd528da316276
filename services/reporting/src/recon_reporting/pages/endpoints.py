"""Server-rendered pages: dashboard, files, reconciliations, breaks, transactions.

The pages read the same repositories and services as the REST API, so a page and
its API route always show the same numbers. Filter forms submit empty fields as
empty strings, which the pages treat as "no filter". The review queue lists the
proposed match groups, which wait for an operator to confirm or reject them. The
forms through which operators act, and the match group and approvals pages, are in
the modules whose routers this router includes.
"""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from recon_common.errors import InvalidRequest, NotFound
from recon_common.events import FileStatus, MatchGroupStatus, RecordKind

from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.actions.assignees import read_assignees
from recon_reporting.auth.dependencies import PageMasker, PageUser
from recon_reporting.breaks import service as breaks_service
from recon_reporting.breaks.schemas import AgeBand
from recon_reporting.dependencies import SessionDep, get_settings
from recon_reporting.files import repository as files_repository
from recon_reporting.files.schemas import FileOut
from recon_reporting.matches import repository as matches_repository
from recon_reporting.matches import service as matches_service
from recon_reporting.models import TransactionStatus
from recon_reporting.pages import (
    approval_pages,
    break_forms,
    definition_pages,
    file_pages,
    group_pages,
    report_pages,
)
from recon_reporting.pages.rendering import may_act, render_page
from recon_reporting.reconciliations import repository as reconciliations_repository
from recon_reporting.reconciliations import service as reconciliations_service
from recon_reporting.transactions import repository as transactions_repository
from recon_reporting.transactions.schemas import ListedStatus, TransactionFilters
from recon_reporting.transactions.service import transaction_out

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
router.include_router(break_forms.router)
router.include_router(group_pages.router)
router.include_router(approval_pages.router)
router.include_router(definition_pages.router)
router.include_router(file_pages.router)
router.include_router(report_pages.router)

PAGE_SIZE = 50


def _text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def _choice[E: (FileStatus, RecordKind, TransactionStatus, ListedStatus, AgeBand)](
    request: Request, name: str, enum: type[E]
) -> E | None:
    value = _text(request, name)
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidRequest(
            f"invalid {name} {value!r}: expected one of {allowed}"
        ) from None


def _date(request: Request, name: str) -> date | None:
    value = _text(request, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"invalid {name} {value!r}: expected YYYY-MM-DD") from None


def _offset(request: Request, name: str = "offset") -> int:
    value = _text(request, name) or "0"
    if not value.isdigit():
        raise InvalidRequest(f"invalid {name} {value!r}: expected a whole number")
    return int(value)


def _pages(
    request: Request, *, total: int, offset: int, name: str = "offset"
) -> dict[str, Any]:
    """Return the previous and next links of a paginated table."""
    params = {key: value for key, value in request.query_params.items() if value}

    def link(target: int) -> str:
        return "?" + urlencode({**params, name: str(target)})

    return {
        "first": offset + 1 if total else 0,
        "last": min(offset + PAGE_SIZE, total),
        "total": total,
        "previous": link(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        "next": link(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None,
    }


def _render(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    return render_page(request, template, context)


@router.get("/")
async def dashboard(request: Request, session: SessionDep, user: PageUser) -> Any:
    """Show the summary totals and one row per reconciliation."""
    summary = await reconciliations_service.build_summary(session)
    reconciliations = await reconciliations_service.list_reconciliations_out(session)
    proposed = await matches_repository.count_proposed(session)
    return _render(
        request,
        "dashboard.html",
        {
            "user": user,
            "summary": summary,
            "reconciliations": reconciliations,
            "proposed": proposed,
            "proposed_total": sum(proposed.values()),
        },
    )


@router.get("/files")
async def files(request: Request, session: SessionDep, user: PageUser) -> Any:
    """Show landed files with the reason of each rejected one and warning counts."""
    status = _choice(request, "status", FileStatus)
    offset = _offset(request)
    rows, total = await files_repository.list_files(
        session, status=status, limit=PAGE_SIZE, offset=offset
    )
    return _render(
        request,
        "files.html",
        {
            "user": user,
            "files": [FileOut.model_validate(row) for row in rows],
            "status": status,
            "statuses": list(FileStatus),
            "pages": _pages(request, total=total, offset=offset),
        },
    )


@router.get("/reconciliations")
async def reconciliations() -> RedirectResponse:
    """Redirect to the dashboard, which lists every reconciliation."""
    return RedirectResponse("/", status_code=303)


@router.get("/reconciliations/{reconciliation_id}")
async def reconciliation(
    reconciliation_id: str, request: Request, session: SessionDep, masker: PageMasker
) -> Any:
    """Show one reconciliation's counts, its matches and its open breaks."""
    row = await reconciliations_repository.get_reconciliation(
        session, reconciliation_id=reconciliation_id
    )
    if row is None:
        raise NotFound(f"reconciliation {reconciliation_id!r} not found")
    auto_matched = await reconciliations_repository.count_auto_matched(session)
    matches_offset = _offset(request, "matches_offset")
    breaks_offset = _offset(request, "breaks_offset")
    group_rows, groups_total = await matches_repository.list_groups(
        session,
        reconciliation_id=reconciliation_id,
        limit=PAGE_SIZE,
        offset=matches_offset,
    )
    groups = await matches_service.groups_with_items(
        session, rows=group_rows, masker=masker
    )
    breaks = await breaks_service.search_breaks(
        session,
        query=breaks_service.BreakQuery(
            reconciliation_id=reconciliation_id, limit=PAGE_SIZE, offset=breaks_offset
        ),
        masker=masker,
    )
    audit_revealed(request, session, masker=masker, resource_type="reconciliation")
    return _render(
        request,
        "reconciliation.html",
        {
            "user": masker.user,
            "reconciliation": reconciliations_service.reconciliation_out(
                row, auto_matched=auto_matched
            ),
            "groups": [
                (group, matches_service.single_currency(group)) for group in groups
            ],
            "breaks": breaks.items,
            "matches_pages": _pages(
                request,
                total=groups_total,
                offset=matches_offset,
                name="matches_offset",
            ),
            "breaks_pages": _pages(
                request, total=breaks.total, offset=breaks_offset, name="breaks_offset"
            ),
        },
    )


@router.get("/breaks")
async def breaks(request: Request, session: SessionDep, masker: PageMasker) -> Any:
    """Show open breaks with their age, filtered by reconciliation, account, age."""
    account = _text(request, "account")
    query = breaks_service.BreakQuery(
        reconciliation_id=_text(request, "reconciliation_id"),
        account=(
            breaks_service.parse_account_filter(account, masker=masker)
            if account is not None
            else None
        ),
        age_band=_choice(request, "age_band", AgeBand),
        limit=PAGE_SIZE,
        offset=_offset(request),
    )
    page = await breaks_service.search_breaks(session, query=query, masker=masker)
    # Items of proposed groups are not breaks, so the page links to where they wait.
    proposed = await matches_repository.count_proposed_items(
        session,
        reconciliation_id=query.reconciliation_id,
        account=query.account.match if query.account is not None else None,
    )
    review_path = "/review"
    if query.reconciliation_id is not None:
        review_path += "?" + urlencode({"reconciliation_id": query.reconciliation_id})
    reconciliations = await reconciliations_repository.list_reconciliations(session)
    audit_revealed(request, session, masker=masker, resource_type="break")
    return _render(
        request,
        "breaks.html",
        {
            "user": masker.user,
            "breaks": page.items,
            "query": query,
            "account_hint": breaks_service.account_filter_hint(masker),
            "assignees": (
                read_assignees(get_settings(request).users_file)
                if may_act(masker.user)
                else []
            ),
            "age_bands": list(AgeBand),
            "reconciliations": reconciliations,
            "proposed": proposed,
            "review_path": review_path,
            "pages": _pages(request, total=page.total, offset=query.offset),
        },
    )


@router.get("/review")
async def review(request: Request, session: SessionDep, masker: PageMasker) -> Any:
    """Show proposed match groups that wait for review, oldest first."""
    reconciliation_id = _text(request, "reconciliation_id")
    offset = _offset(request)
    rows, total = await matches_repository.list_groups(
        session,
        reconciliation_id=reconciliation_id,
        status=MatchGroupStatus.PROPOSED,
        limit=PAGE_SIZE,
        offset=offset,
        oldest_first=True,
    )
    groups = await matches_service.groups_with_items(session, rows=rows, masker=masker)
    reconciliations = await reconciliations_repository.list_reconciliations(session)
    audit_revealed(request, session, masker=masker, resource_type="match_group")
    return _render(
        request,
        "review.html",
        {
            "user": masker.user,
            "groups": [
                (group, matches_service.single_currency(group)) for group in groups
            ],
            "reconciliation_id": reconciliation_id,
            "reconciliations": reconciliations,
            "pages": _pages(request, total=total, offset=offset),
        },
    )


@router.get("/transactions")
async def transactions(
    request: Request, session: SessionDep, masker: PageMasker
) -> Any:
    """Show transactions with filters and pagination links."""
    filters = TransactionFilters(
        reconciliation_id=_text(request, "reconciliation_id"),
        account=_text(request, "account"),
        record_kind=_choice(request, "record_kind", RecordKind),
        status=_choice(request, "status", ListedStatus),
        value_date_from=_date(request, "value_date_from"),
        value_date_to=_date(request, "value_date_to"),
        currency=_text(request, "currency"),
    )
    offset = _offset(request)
    total = await transactions_repository.count_transactions(session, filters=filters)
    rows = await transactions_repository.list_transactions(
        session, filters=filters, limit=PAGE_SIZE, offset=offset, after=None
    )
    items = [transaction_out(row, masker=masker) for row in rows]
    reconciliations = await reconciliations_repository.list_reconciliations(session)
    audit_revealed(request, session, masker=masker, resource_type="transaction")
    return _render(
        request,
        "transactions.html",
        {
            "user": masker.user,
            "transactions": items,
            "filters": filters,
            "record_kinds": list(RecordKind),
            "statuses": list(ListedStatus),
            "reconciliations": reconciliations,
            "pages": _pages(request, total=total, offset=offset),
        },
    )
