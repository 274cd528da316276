"""The approvals queue: pending write-off and force-close requests, and decisions.

For operators and approvers the queue comes from the matcher, which owns the
requests, so a request shows at once with its reason. Read-only roles may not call
the matcher, so they see the requests that the read model stores, without reasons.
Every user sees the approve button of their own requests too: the matcher enforces
the four-eyes rule and its refusal is shown on the page.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.access.redaction import AccountMasker
from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.actions.client import (
    MatcherRejected,
    MatcherUnavailable,
    fetch_from_matcher,
)
from recon_reporting.auth.dependencies import PageMasker
from recon_reporting.dependencies import SessionDep, get_settings
from recon_reporting.models import ReportTransaction
from recon_reporting.pages import repository
from recon_reporting.pages.forms import (
    MAX_TEXT_CHARS,
    READ_MODEL_LAG,
    FormActorDep,
    describe_detail,
    forward_form,
    reject_form,
    segment,
)
from recon_reporting.pages.rendering import may_act, render_page

router = APIRouter(include_in_schema=False)

# The matcher returns at most 500 requests per state, so the page shows as many.
MAX_REQUESTS: Final = 500


class PendingRequest(BaseModel):
    """A pending request as the matcher's `GET /v1/approvals` returns it."""

    approval_id: str
    transaction_id: str
    action: str
    reason: str
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One request of the queue with the break it would end."""

    approval_id: str
    transaction_id: str
    action: str
    reason: str | None
    requested_by: str
    requested_at: datetime | None
    reconciliation_id: str | None
    account: str | None
    amount: Decimal | None
    currency: str | None
    value_date: date | None


async def _matcher_queue(
    request: Request, masker: AccountMasker
) -> list[PendingRequest]:
    payload = await fetch_from_matcher(
        get_settings(request),
        user=masker.user,
        path="/v1/approvals",
        params={"state": "pending"},
    )
    return [PendingRequest.model_validate(item) for item in payload]


async def _rows_from_matcher(
    request: Request, session: AsyncSession, masker: AccountMasker
) -> list[QueueRow]:
    pending = await _matcher_queue(request, masker)
    breaks = await repository.breaks_by_id(
        session, transaction_ids=[item.transaction_id for item in pending]
    )
    rows = []
    for item in pending:
        found = breaks.get(item.transaction_id)
        transaction = found[1] if found else None
        rows.append(
            QueueRow(
                approval_id=item.approval_id,
                transaction_id=item.transaction_id,
                action=item.action,
                reason=item.reason,
                requested_by=item.requested_by,
                requested_at=item.requested_at,
                reconciliation_id=found[0].reconciliation_id if found else None,
                account=_account(masker, item.transaction_id, transaction),
                amount=transaction.amount if transaction else None,
                currency=transaction.currency if transaction else None,
                value_date=transaction.value_date if transaction else None,
            )
        )
    return rows


def _account(
    masker: AccountMasker, transaction_id: str, transaction: ReportTransaction | None
) -> str | None:
    if transaction is None:
        return None
    return masker.show(transaction.account, resource_id=transaction_id, field="account")


async def _rows_from_read_model(
    session: AsyncSession, masker: AccountMasker
) -> list[QueueRow]:
    found = await repository.breaks_pending_approval(session, limit=MAX_REQUESTS)
    return [
        QueueRow(
            approval_id=item.pending_approval_id or "",
            transaction_id=item.transaction_id,
            action=item.pending_action or "",
            reason=None,
            requested_by=item.requested_by or "",
            requested_at=None,
            reconciliation_id=item.reconciliation_id,
            account=_account(masker, item.transaction_id, transaction),
            amount=transaction.amount if transaction else None,
            currency=transaction.currency if transaction else None,
            value_date=transaction.value_date if transaction else None,
        )
        for item, transaction in found
    ]


@router.get("/approvals", response_class=HTMLResponse)
async def approvals(
    request: Request, session: SessionDep, masker: PageMasker
) -> HTMLResponse:
    """Show pending write-off and force-close requests with approve and reject."""
    error = None
    from_matcher = may_act(masker.user)
    rows: list[QueueRow] = []
    if from_matcher:
        try:
            rows = await _rows_from_matcher(request, session, masker)
        except MatcherRejected as exc:
            error = f"Loading the queue failed: {describe_detail(exc.detail)}"
        except MatcherUnavailable as exc:
            error = f"Loading the queue failed: {exc.message}"
        except (TypeError, ValidationError) as exc:
            error = (
                "Loading the queue failed: the matcher's response is not a list of "
                f"requests ({exc})"
            )
    else:
        rows = await _rows_from_read_model(session, masker)
    audit_revealed(request, session, masker=masker, resource_type="break")
    return render_page(
        request,
        "approvals.html",
        {
            "user": masker.user,
            "rows": rows,
            "error": error,
            "from_matcher": from_matcher,
        },
    )


@router.post("/approvals/{approval_id}/{decision}")
async def decide(
    approval_id: str,
    decision: str,
    request: Request,
    actor: FormActorDep,
    reason: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Approve or reject another user's request; the maker may only reject."""
    verbs = {"approve": "approved", "reject": "rejected"}
    if decision not in verbs:
        return reject_form(
            request,
            actor,
            f"Decision failed: invalid decision {decision!r}; expected approve or "
            "reject.",
        )

    def describe(payload: Any) -> str:
        text = (
            f"Request {approval_id} {verbs[decision]} for the break of "
            f"{payload.get('transaction_id', '')}."
        )
        if decision == "approve":
            text += f" The break leaves the open list. {READ_MODEL_LAG}"
        return text

    return await forward_form(
        request,
        actor,
        action=decision.capitalize(),
        path=f"/v1/approvals/{segment(approval_id)}/{decision}",
        body={"reason": reason.strip() or None},
        describe=describe,
    )
