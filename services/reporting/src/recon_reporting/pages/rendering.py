"""Rendering of page templates with what every page needs besides its own data.

Every page gets the signed-in user's CSRF token for its forms and whether the user may
act on matches and breaks. It also gets its own path for the forms' `next` field and
the one-time message of the previous form, which the response then clears.
"""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from recon_reporting.actions.roles import ACTING_ROLES
from recon_reporting.auth.csrf import session_csrf_token
from recon_reporting.auth.dependencies import PAGE_SESSION_KEY, ActiveSession
from recon_reporting.auth.users import User
from recon_reporting.pages.flash import clear_flash, read_flash


def current_path(request: Request) -> str:
    """Return the request's path with its query string."""
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path


def may_act(user: User | None) -> bool:
    """Return whether `user` may change matches and breaks."""
    return user is not None and user.role in ACTING_ROLES


def render_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render `template` with `context` plus the CSRF token, flash and role."""
    active = getattr(request.state, PAGE_SESSION_KEY, None)
    token = (
        session_csrf_token(request, active.session_id)
        if isinstance(active, ActiveSession)
        else None
    )
    flash = read_flash(request)
    full_context = {
        "csrf_token": token,
        "can_act": may_act(context.get("user")),
        "here": current_path(request),
        "flash": flash,
        **context,
    }
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, full_context, status_code=status_code
    )
    if flash is not None:
        clear_flash(response)
    return response
