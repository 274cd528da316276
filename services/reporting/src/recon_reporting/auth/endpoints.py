"""Login page, logout and API tokens."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from recon_common.errors import Unauthorized, error_responses
from recon_common.events import AuditOutcome
from recon_common.settings import Environment

from recon_reporting.auditing import build_event, record_committed
from recon_reporting.auth.dependencies import (
    client_address,
    parse_basic,
    session_user,
)
from recon_reporting.auth.service import audit_login, check_password
from recon_reporting.auth.tokens import SESSION_COOKIE, TokenSigner
from recon_reporting.auth.users import UserStore
from recon_reporting.dependencies import RuntimeDep, SettingsDep

router = APIRouter(tags=["authentication"])


class ApiToken(BaseModel):
    """A bearer token for the API."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type
    expires_in: int


def safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this site, else `/`."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


def _render_login(
    request: Request, *, next_path: str, error: str | None, status_code: int
) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        "login.html",
        {"next_path": next_path, "error": error, "user": None},
        status_code=status_code,
    )
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(
    request: Request,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """Show the login form, or go on if the session is still valid."""
    target = safe_next(next_path)
    if session_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _render_login(request, next_path=target, error=None, status_code=200)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
async def login(
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next_path: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the credentials, start a session and go to the requested page."""
    store: UserStore = request.app.state.users
    user = await check_password(store, username=username, password=password)
    await audit_login(
        runtime,
        settings=settings,
        username=username,
        succeeded=user is not None,
        method="form",
        client_address=client_address(request),
    )
    if user is None:
        return _render_login(
            request,
            next_path=safe_next(next_path),
            error="Invalid username or password.",
            status_code=401,
        )
    signer: TokenSigner = request.app.state.signer
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signer.issue_session(user.username),
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.environment == Environment.PRODUCTION,
        path="/",
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> Response:
    """End the session and return to the login page."""
    user = session_user(request)
    if user is not None:
        event = build_event(
            actor=user.username,
            action="logout",
            outcome=AuditOutcome.SUCCESS,
            resource_type="session",
            resource_id=settings.service_name,
            details={"client_address": client_address(request) or ""},
        )
        await record_committed(runtime, settings=settings, event=event)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/api/v1/auth/token", responses=error_responses(Unauthorized))
async def issue_token(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> ApiToken:
    """Exchange HTTP Basic credentials for a bearer token."""
    credentials = parse_basic(request.headers.get("authorization", ""))
    if credentials is None:
        raise Unauthorized("send HTTP Basic credentials to obtain a token")
    username, password = credentials
    store: UserStore = request.app.state.users
    user = await check_password(store, username=username, password=password)
    await audit_login(
        runtime,
        settings=settings,
        username=username,
        succeeded=user is not None,
        method="token",
        client_address=client_address(request),
    )
    if user is None:
        raise Unauthorized("invalid username or password")
    signer: TokenSigner = request.app.state.signer
    return ApiToken(
        access_token=signer.issue_api_token(user.username),
        expires_in=settings.api_token_max_age_s,
    )
