"""HTTP routes of the transaction search."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from recon_common.errors import NotFound, Unauthorized, error_responses
from recon_common.events import RecordKind

from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.auth.dependencies import ApiMasker
from recon_reporting.dependencies import SessionDep
from recon_reporting.pagination import Limit, Offset
from recon_reporting.transactions import repository, service
from recon_reporting.transactions.schemas import (
    ListedStatus,
    TransactionFilters,
    TransactionOut,
    TransactionPage,
)


class TransactionNotFound(NotFound):
    pass


router = APIRouter(
    prefix="/api/v1/transactions",
    tags=["transactions"],
    responses=error_responses(Unauthorized),
)


def transaction_filters(
    reconciliation_id: str | None = None,
    account: str | None = None,
    record_kind: RecordKind | None = None,
    status: Annotated[
        ListedStatus | None,
        Query(
            description="`unassigned` leaves out the unassigned entries of intraday "
            "reports (MT942, camt.052), which `intraday` lists"
        ),
    ] = None,
    value_date_from: date | None = None,
    value_date_to: date | None = None,
    currency: Annotated[
        str | None, Query(min_length=3, max_length=3, description="ISO 4217 code")
    ] = None,
) -> TransactionFilters:
    """Collect the transaction filters from the query string."""
    return TransactionFilters(
        reconciliation_id=reconciliation_id,
        account=account,
        record_kind=record_kind,
        status=status,
        value_date_from=value_date_from,
        value_date_to=value_date_to,
        currency=currency,
    )


@router.get("", responses=error_responses(service.InvalidCursor))
async def list_transactions(
    request: Request,
    session: SessionDep,
    masker: ApiMasker,
    filters: Annotated[TransactionFilters, Depends(transaction_filters)],
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page")
    ] = None,
) -> TransactionPage:
    """Search transactions by reconciliation, account, kind, status, date, currency."""
    after = service.decode_cursor(cursor) if cursor else None
    total = await repository.count_transactions(session, filters=filters)
    # Reading one row past the page shows whether a next page exists.
    rows = await repository.list_transactions(
        session, filters=filters, limit=limit + 1, offset=offset, after=after
    )
    page = rows[:limit]
    items = [service.transaction_out(row, masker=masker) for row in page]
    next_cursor = service.encode_cursor(page[-1]) if len(rows) > limit else None
    audit_revealed(request, session, masker=masker, resource_type="transaction")
    return TransactionPage(
        items=items,
        total=total,
        limit=limit,
        offset=offset if after is None else 0,
        next_cursor=next_cursor,
    )


@router.get("/{transaction_id}", responses=error_responses(TransactionNotFound))
async def get_transaction(
    transaction_id: str, request: Request, session: SessionDep, masker: ApiMasker
) -> TransactionOut:
    """Return one transaction."""
    row = await repository.get_transaction(session, transaction_id=transaction_id)
    if row is None:
        raise TransactionNotFound(f"transaction {transaction_id!r} not found")
    item = service.transaction_out(row, masker=masker)
    audit_revealed(request, session, masker=masker, resource_type="transaction")
    return item
