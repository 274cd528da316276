"""API routes through which operators and approvers act on matches and breaks.

Each route checks the user's role and forwards the request to the matcher, which
applies it, audits it and publishes the change. The read model shows the change
once it has consumed the matcher's `matches-produced` message. The web pages offer
the same actions as forms (see `pages.forms`).
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from recon_common.errors import (
    Forbidden,
    InvalidRequest,
    NotFound,
    Unauthorized,
    error_responses,
)

from recon_reporting.actions.assignees import InvalidAssignee, check_assignee
from recon_reporting.actions.client import MatcherUnavailable, call_matcher
from recon_reporting.actions.roles import ACTING_ROLES
from recon_reporting.auth.dependencies import ApiUser
from recon_reporting.auth.users import User
from recon_reporting.dependencies import SettingsDep
from recon_reporting.settings import ReportingSettings


class ActionForbidden(Forbidden):
    pass


class UnknownAction(NotFound):
    pass


class InvalidRerunRange(InvalidRequest):
    pass


router = APIRouter(
    prefix="/api/v1",
    tags=["operator actions"],
    responses=error_responses(Unauthorized, ActionForbidden, MatcherUnavailable),
)

JsonBody = Body(default_factory=dict)


def require_acting_role(user: User) -> None:
    """Raise 403 unless the user may change matches and breaks."""
    if user.role not in ACTING_ROLES:
        raise ActionForbidden(
            f"role {user.role.value} may only read; matches and breaks are changed "
            "by operators and approvers"
        )


async def _forward(
    settings: SettingsDep,
    user: User,
    path: str,
    body: dict[str, Any],
    params: dict[str, str] | None = None,
) -> JSONResponse:
    require_acting_role(user)
    status, payload = await call_matcher(
        settings, user=user, path=path, body=body, params=params
    )
    return JSONResponse(payload, status_code=status)


@router.post("/reconciliations/{reconciliation_id}/manual-matches")
async def manual_match(
    reconciliation_id: str,
    settings: SettingsDep,
    user: ApiUser,
    body: dict[str, Any] = JsonBody,
) -> JSONResponse:
    """Match open items by hand: `transaction_ids`, `reason` and optional `force`."""
    path = f"/v1/reconciliations/{reconciliation_id}/manual-matches"
    return await _forward(settings, user, path, body)


@router.post(
    "/reconciliations/{reconciliation_id}/rerun",
    responses=error_responses(InvalidRerunRange),
)
async def rerun(
    reconciliation_id: str,
    settings: SettingsDep,
    user: ApiUser,
    value_date_from: Annotated[
        date, Query(alias="from", description="first value date to match, YYYY-MM-DD")
    ],
    value_date_to: Annotated[
        date,
        Query(alias="to", description="last value date to match, YYYY-MM-DD"),
    ],
    dry_run: bool = True,
) -> JSONResponse:
    """Match a value-date range again; a dry run only reports what would change."""
    if value_date_to < value_date_from:
        raise InvalidRerunRange(
            f"invalid range: to {value_date_to} is before from {value_date_from}; "
            "send a to date on or after the from date"
        )
    params = {
        "from": value_date_from.isoformat(),
        "to": value_date_to.isoformat(),
        "dry_run": str(dry_run).lower(),
    }
    path = f"/v1/reconciliations/{reconciliation_id}/rerun"
    return await _forward(settings, user, path, {}, params)


@router.post("/match-groups/{group_id}/{action}")
async def group_action(
    group_id: str,
    action: str,
    settings: SettingsDep,
    user: ApiUser,
    body: dict[str, Any] = JsonBody,
) -> JSONResponse:
    """Act on a group: `unmatch`, `confirm`, `reject` or `comments`."""
    _check_action(action, {"unmatch", "confirm", "reject", "comments"})
    return await _forward(settings, user, f"/v1/match-groups/{group_id}/{action}", body)


@router.post(
    "/breaks/{transaction_id}/{action}", responses=error_responses(InvalidAssignee)
)
async def break_action(
    transaction_id: str,
    action: str,
    settings: SettingsDep,
    user: ApiUser,
    body: dict[str, Any] = JsonBody,
) -> JSONResponse:
    """Act on a break: `comments`, `assign` or `close-requests` (write-off).

    `assign` takes `assignee`: an operator or approver of the reporting service
    (`GET /api/v1/breaks/assignees` lists them), or null or an empty name to return
    the break to the open queue.
    """
    _check_action(action, {"comments", "assign", "close-requests"})
    if action == "assign":
        require_acting_role(user)
        body = _checked_assignment(body, settings=settings)
    return await _forward(settings, user, f"/v1/breaks/{transaction_id}/{action}", body)


def _checked_assignment(
    body: dict[str, Any], *, settings: ReportingSettings
) -> dict[str, Any]:
    # A name that is not a string is left for the matcher's validation to reject.
    assignee = body.get("assignee")
    if not isinstance(assignee, str):
        return body
    name = assignee.strip()
    if not name:
        return {**body, "assignee": None}
    check_assignee(name, users_file=settings.users_file)
    return {**body, "assignee": name}


@router.post("/approvals/{approval_id}/{decision}")
async def approval_decision(
    approval_id: str,
    decision: str,
    settings: SettingsDep,
    user: ApiUser,
    body: dict[str, Any] = JsonBody,
) -> JSONResponse:
    """Decide another user's write-off or force-close request: `approve` or `reject`."""
    _check_action(decision, {"approve", "reject"})
    return await _forward(
        settings, user, f"/v1/approvals/{approval_id}/{decision}", body
    )


def _check_action(action: str, allowed: set[str]) -> None:
    if action not in allowed:
        raise UnknownAction(
            f"unknown action {action!r}; expected one of {', '.join(sorted(allowed))}"
        )
