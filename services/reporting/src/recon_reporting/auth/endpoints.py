"""Login page, logout, API tokens and the revocation of sessions."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from recon_common.errors import Forbidden, Unauthorized, error_responses
from recon_common.settings import Environment

from recon_reporting.auth.csrf import CsrfRejected, reject_foreign_site
from recon_reporting.auth.dependencies import (
    ApiUser,
    bearer_session,
    bearer_token,
    browser_session,
    client_address,
    parse_basic,
    session_user,
)
from recon_reporting.auth.roles import Role
from recon_reporting.auth.service import (
    audit_revocation_denied,
    authenticate,
    revoke_all_sessions,
    sign_in,
    sign_out,
)
from recon_reporting.auth.sessions import SessionKind
from recon_reporting.auth.throttle import LoginThrottled
from recon_reporting.auth.tokens import SESSION_COOKIE, TokenSigner
from recon_reporting.auth.users import UserStore
from recon_reporting.dependencies import RuntimeDep, SettingsDep

router = APIRouter(tags=["authentication"])


class ApiToken(BaseModel):
    """A bearer token for the API."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type
    expires_in: int


class RevokedSessions(BaseModel):
    """The result of revoking every session and token of a user."""

    username: str
    revoked_sessions: int


class RevocationForbidden(Forbidden):
    pass


def safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this site, else `/`."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


def _render_login(
    request: Request,
    *,
    next_path: str,
    error: str | None,
    status_code: int,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        "login.html",
        {"next_path": next_path, "error": error, "user": None},
        status_code=status_code,
        headers=headers,
    )
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(
    request: Request,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """Show the login form, or go on if the session is still valid."""
    target = safe_next(next_path)
    if await session_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _render_login(request, next_path=target, error=None, status_code=200)


@router.post(
    "/login",
    response_class=HTMLResponse,
    include_in_schema=False,
    responses=error_responses(CsrfRejected),
)
async def login(
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next_path: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the credentials, start a session and go to the requested page."""
    reject_foreign_site(request)
    store: UserStore = request.app.state.users
    address = client_address(request)
    try:
        user = await authenticate(
            runtime,
            store,
            settings=settings,
            username=username,
            password=password,
            method="form",
            client_address=address,
        )
    except LoginThrottled as exc:
        return _render_login(
            request,
            next_path=safe_next(next_path),
            error=f"Too many failed sign-in attempts. {_retry_sentence(exc)}",
            status_code=exc.status_code,
            headers=exc.headers,
        )
    if user is None:
        return _render_login(
            request,
            next_path=safe_next(next_path),
            error="Invalid username or password.",
            status_code=401,
        )
    session_id = await sign_in(
        runtime,
        settings=settings,
        user=user,
        kind=SessionKind.BROWSER,
        method="form",
        client_address=address,
    )
    signer: TokenSigner = request.app.state.signer
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signer.issue_session(session_id),
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.environment == Environment.PRODUCTION,
        path="/",
    )
    return response


def _retry_sentence(exc: LoginThrottled) -> str:
    minutes = -(-exc.retry_after_s // 60)
    return (
        f"Try again after {exc.retry_at:%H:%M:%S} UTC "
        f"(in about {minutes} minute{'s' if minutes != 1 else ''})."
    )


@router.post(
    "/logout", include_in_schema=False, responses=error_responses(CsrfRejected)
)
async def logout(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> Response:
    """End the session and return to the login page."""
    reject_foreign_site(request)
    active = await browser_session(request)
    if active is not None:
        await sign_out(
            runtime,
            settings=settings,
            user=active.user,
            session_id=active.session_id,
            method="form",
            client_address=client_address(request),
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    "/api/v1/auth/token", responses=error_responses(Unauthorized, LoginThrottled)
)
async def issue_token(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> ApiToken:
    """Exchange HTTP Basic credentials for a bearer token."""
    credentials = parse_basic(request.headers.get("authorization", ""))
    if credentials is None:
        raise Unauthorized("send HTTP Basic credentials to obtain a token")
    username, password = credentials
    store: UserStore = request.app.state.users
    address = client_address(request)
    user = await authenticate(
        runtime,
        store,
        settings=settings,
        username=username,
        password=password,
        method="token",
        client_address=address,
    )
    if user is None:
        raise Unauthorized("invalid username or password")
    session_id = await sign_in(
        runtime,
        settings=settings,
        user=user,
        kind=SessionKind.API_TOKEN,
        method="token",
        client_address=address,
    )
    signer: TokenSigner = request.app.state.signer
    return ApiToken(
        access_token=signer.issue_api_token(session_id),
        expires_in=settings.api_token_max_age_s,
    )


@router.post(
    "/api/v1/auth/token/revoke",
    status_code=204,
    responses=error_responses(Unauthorized),
)
async def revoke_token(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> Response:
    """Revoke the bearer token that authenticates this request."""
    token = bearer_token(request)
    active = await bearer_session(request, token) if token is not None else None
    if active is None:
        raise Unauthorized(
            "send the active bearer token to revoke in the Authorization header"
        )
    await sign_out(
        runtime,
        settings=settings,
        user=active.user,
        session_id=active.session_id,
        method="token",
        client_address=client_address(request),
    )
    return Response(status_code=204)


@router.post(
    "/api/v1/auth/users/{username}/sessions/revoke",
    responses=error_responses(Unauthorized, RevocationForbidden, LoginThrottled),
)
async def revoke_user_sessions(
    username: str,
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    user: ApiUser,
) -> RevokedSessions:
    """Revoke every browser session and bearer token of a user (administrators)."""
    if user.role != Role.ADMINISTRATOR:
        await audit_revocation_denied(
            runtime,
            settings=settings,
            actor=user,
            username=username,
            client_address=client_address(request),
        )
        raise RevocationForbidden(
            f"role {user.role.value} may not revoke sessions; ask an administrator"
        )
    count = await revoke_all_sessions(
        runtime,
        settings=settings,
        administrator=user,
        username=username,
        client_address=client_address(request),
    )
    return RevokedSessions(username=username, revoked_sessions=count)
