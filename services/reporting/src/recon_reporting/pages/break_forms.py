"""Forms of the break list: manual match, comment, assign and close request."""

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from recon_reporting.actions.assignees import (
    assignee_problem,
    assignees_of,
    describe_assignees,
)
from recon_reporting.auth.users import read_users
from recon_reporting.dependencies import SessionDep, get_settings
from recon_reporting.pages import repository
from recon_reporting.pages.forms import (
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    READ_MODEL_LAG,
    FormActorDep,
    forward_form,
    reject_form,
    segment,
)
from recon_reporting.pages.templating import format_money

router = APIRouter(include_in_schema=False)

# The matcher's limit on the items of one manual match.
MAX_MATCH_ITEMS: Final = 500
CLOSE_ACTIONS: Final = {"write_off": "Write-off", "force_close": "Force-close"}
# The matcher's message asks API callers to set the `force` field. The page names the
# checkbox that sets it instead, with the label from breaks.html.
MATCHER_FORCE_HINT: Final = "set force with a reason"
FORCE_CHECKBOX_HINT: Final = (
    'tick "Match even outside the tolerance or across currencies" and give the '
    "reason for forcing the match"
)


def reword_match_error(detail: str) -> str:
    """Replace the matcher's hint about the `force` field with the checkbox's label."""
    return detail.replace(MATCHER_FORCE_HINT, FORCE_CHECKBOX_HINT)


def _difference_text(amount: str, currencies: set[str]) -> str:
    # As on the match group page: with the currency when the items share one.
    if len(currencies) == 1:
        [currency] = currencies
        return f"{format_money(Decimal(amount), currency)} {currency}"
    if currencies:
        return f"{amount} across the currencies {', '.join(sorted(currencies))}"
    return amount


def _describe_match(currencies: set[str]) -> Callable[[Any], str]:
    def describe(payload: Any) -> str:
        group = payload["group"]
        count = len(group["transaction_ids"])
        difference = _difference_text(str(payload["amount_difference"]), currencies)
        text = (
            f"Matched {count} items in group {group['group_id']} with a difference "
            f"of {difference}"
        )
        if payload.get("forced"):
            text += ", forced outside the tolerance"
        return f"{text}. {READ_MODEL_LAG}"

    return describe


@router.post("/breaks/manual-match")
async def manual_match(
    request: Request,
    session: SessionDep,
    actor: FormActorDep,
    reason: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    force: Annotated[bool, Form()] = False,
    transaction_ids: Annotated[
        list[str] | None, Form(alias="transaction_id", max_length=MAX_MATCH_ITEMS)
    ] = None,
) -> Response:
    """Match the selected breaks of one reconciliation by hand, with a reason."""
    ids = sorted({value.strip() for value in transaction_ids or [] if value.strip()})
    if len(ids) < 2:
        return reject_form(
            request,
            actor,
            f"Manual match failed: select at least two breaks; {len(ids)} selected.",
        )
    if not reason.strip():
        return reject_form(
            request, actor, "Manual match failed: enter a reason for the match."
        )
    found = await repository.breaks_by_id(session, transaction_ids=ids)
    missing = [tid for tid in ids if tid not in found]
    if missing:
        return reject_form(
            request,
            actor,
            "Manual match failed: these items are not open breaks any more: "
            f"{', '.join(missing)}; reload the break list and select again.",
        )
    reconciliations = sorted({item.reconciliation_id for item, _ in found.values()})
    if len(reconciliations) > 1:
        return reject_form(
            request,
            actor,
            "Manual match failed: the selected breaks belong to several "
            f"reconciliations ({', '.join(reconciliations)}); select breaks of one "
            "reconciliation.",
        )
    return await forward_form(
        request,
        actor,
        action="Manual match",
        path=f"/v1/reconciliations/{segment(reconciliations[0])}/manual-matches",
        body={"transaction_ids": ids, "reason": reason.strip(), "force": force},
        describe=_describe_match(
            {row.currency for _, row in found.values() if row is not None}
        ),
        reword_error=reword_match_error,
    )


@router.post("/breaks/{transaction_id}/comments")
async def comment_break(
    transaction_id: str,
    request: Request,
    actor: FormActorDep,
    body: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Add a comment to a break."""
    if not body.strip():
        return reject_form(request, actor, "Comment failed: enter a comment.")
    return await forward_form(
        request,
        actor,
        action="Comment",
        path=f"/v1/breaks/{segment(transaction_id)}/comments",
        body={"body": body.strip()},
        describe=lambda _: (
            f"Comment added to the break of {transaction_id}. {READ_MODEL_LAG}"
        ),
    )


@router.post("/breaks/{transaction_id}/assign")
async def assign_break(
    transaction_id: str,
    request: Request,
    actor: FormActorDep,
    assignee: Annotated[str, Form(max_length=MAX_NAME_CHARS)] = "",
) -> RedirectResponse:
    """Assign a break to a user, or with an empty name return it to the queue."""
    name = assignee.strip() or None
    if name is not None:
        users = read_users(get_settings(request).users_file)
        problem = assignee_problem(name, users=users)
        if problem is not None:
            return reject_form(
                request,
                actor,
                f"Assignment failed: invalid assignee {name!r}: {problem}. "
                f"{describe_assignees(assignees_of(users))} Choose one of them in "
                "the Assign to list, or Nobody to return the break to the open "
                "queue.",
            )
    outcome = f"assigned to {name}" if name else "returned to the open queue"
    return await forward_form(
        request,
        actor,
        action="Assignment",
        path=f"/v1/breaks/{segment(transaction_id)}/assign",
        body={"assignee": name},
        describe=lambda _: (
            f"The break of {transaction_id} is {outcome}. {READ_MODEL_LAG}"
        ),
    )


def _requested(payload: Any) -> str:
    label = CLOSE_ACTIONS.get(payload["action"], payload["action"])
    return (
        f"{label} of {payload['transaction_id']} requested as request "
        f"{payload['approval_id']}. A second user must approve it on the Approvals "
        "page."
    )


@router.post("/breaks/{transaction_id}/close-requests")
async def request_close(
    transaction_id: str,
    request: Request,
    actor: FormActorDep,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Request a write-off or force-close of a break, for a second user to approve."""
    if action not in CLOSE_ACTIONS:
        return reject_form(
            request,
            actor,
            f"Close request failed: invalid action {action!r}; expected "
            f"{' or '.join(CLOSE_ACTIONS)}.",
        )
    if not reason.strip():
        return reject_form(
            request, actor, "Close request failed: enter a reason for the request."
        )
    return await forward_form(
        request,
        actor,
        action=f"{CLOSE_ACTIONS[action]} request",
        path=f"/v1/breaks/{segment(transaction_id)}/close-requests",
        body={"action": action, "reason": reason.strip()},
        describe=_requested,
    )
