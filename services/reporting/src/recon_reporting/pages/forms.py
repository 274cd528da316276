"""What every page form shares: who may post it and how its outcome is shown.

A form post needs an active browser session, the session's CSRF token and a role
that may act. The reporting service forwards it to the matcher as the API does.
Then it redirects to the page named in the form's `next` field with a one-time
message. On success the message gives the outcome. On failure it gives the
matcher's error, for example an amount outside the tolerance or a maker approving
their own request.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse

from recon_reporting.actions.client import (
    MatcherRejected,
    MatcherUnavailable,
    call_matcher,
)
from recon_reporting.actions.endpoints import require_acting_role
from recon_reporting.auth.csrf import CSRF_FIELD, check_csrf
from recon_reporting.auth.dependencies import LoginRequired, browser_session
from recon_reporting.auth.endpoints import safe_next
from recon_reporting.auth.users import User
from recon_reporting.dependencies import get_settings
from recon_reporting.pages.flash import FlashKind, set_flash

log = structlog.get_logger(__name__)

# Form fields are bounded like the matcher's request models.
MAX_TEXT_CHARS = 2000
MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class FormActor:
    """The user who posted a form and the page to return to afterwards."""

    user: User
    next_path: str


async def require_form_actor(
    request: Request,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD, max_length=200)] = None,
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> FormActor:
    """Return the user who posted a form, or redirect to login, or raise 403."""
    target = safe_next(next_path)
    active = await browser_session(request)
    if active is None:
        raise LoginRequired(f"/login?next={quote(target)}")
    check_csrf(request, session_id=active.session_id, submitted=csrf_token)
    require_acting_role(active.user)
    return FormActor(user=active.user, next_path=target)


FormActorDep = Annotated[FormActor, Depends(require_form_actor)]


def segment(value: str) -> str:
    """Quote `value` for use as one path segment of a matcher URL."""
    return quote(value, safe="")


def describe_detail(detail: Any) -> str:
    """Return an error detail of the matcher as one readable sentence."""
    if isinstance(detail, list):
        parts = []
        for error in detail:
            if isinstance(error, dict) and "msg" in error:
                location = ".".join(str(part) for part in error.get("loc", []))
                parts.append(
                    f"{location}: {error['msg']}" if location else error["msg"]
                )
            else:
                parts.append(str(error))
        return "; ".join(parts)
    return str(detail)


def redirect_with(
    request: Request, target: str, *, kind: FlashKind, message: str
) -> RedirectResponse:
    """Return a 303 redirect to `target` that shows `message` once."""
    response = RedirectResponse(target, status_code=303)
    set_flash(request, response, kind=kind, message=message)
    return response


async def forward_form(
    request: Request,
    actor: FormActor,
    *,
    action: str,
    path: str,
    body: dict[str, Any],
    describe: Callable[[Any], str],
    reword_error: Callable[[str], str] | None = None,
) -> RedirectResponse:
    """Send a form's action to the matcher and redirect with its outcome.

    `action` names the action in messages ("Manual match"), and `describe` turns
    the matcher's response body into the success message. `reword_error` rewrites
    the matcher's error text, which addresses API callers, in the form's terms.
    """
    settings = get_settings(request)
    try:
        _, payload = await call_matcher(settings, user=actor.user, path=path, body=body)
    except MatcherRejected as exc:
        log.info(
            "reporting.page_action.rejected",
            path=path,
            user=actor.user.username,
            status=exc.status_code,
            error=exc.error,
        )
        detail = describe_detail(exc.detail)
        if reword_error is not None:
            detail = reword_error(detail)
        message = f"{action} failed: {detail}"
        return redirect_with(
            request, actor.next_path, kind=FlashKind.ERROR, message=message
        )
    except MatcherUnavailable as exc:
        message = f"{action} failed: {exc.message}"
        return redirect_with(
            request, actor.next_path, kind=FlashKind.ERROR, message=message
        )
    return redirect_with(
        request, actor.next_path, kind=FlashKind.SUCCESS, message=describe(payload)
    )


def reject_form(request: Request, actor: FormActor, message: str) -> RedirectResponse:
    """Redirect back with `message` for a form that fails a check before sending."""
    return redirect_with(
        request, actor.next_path, kind=FlashKind.ERROR, message=message
    )


# Appended to success messages, because pages read the read model, which applies
# the matcher's `matches-produced` message a moment after the action.
READ_MODEL_LAG = (
    "The lists show the change once the reporting read model has applied it, "
    "usually within seconds."
)
