"""Dependencies that identify the user of a request.

A request is authenticated by, in this order: the session cookie of the web pages, an
`Authorization: Bearer` token from `POST /api/v1/auth/token`, or HTTP Basic
credentials. A cookie or token is accepted only while its `auth_sessions` row is
active. A state-changing API request that a cookie authenticates must also pass the
CSRF checks of `auth.csrf`. Basic credentials are checked on every request, and
failures are audited and throttled like form logins. A successful Basic request
reuses the session of its user and client address, so only the request that starts
that session audits a `login`.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import Depends, Request
from recon_common.db import session_scope
from recon_common.errors import Unauthorized

from recon_reporting.access.middleware import CLIENT_ADDRESS_KEY
from recon_reporting.access.redaction import AccountMasker
from recon_reporting.auth.csrf import CSRF_HEADER, SAFE_METHODS, check_csrf
from recon_reporting.auth.locks import KeyedLocks
from recon_reporting.auth.service import authenticate, sign_in_basic
from recon_reporting.auth.sessions import SessionKind, find_active_session
from recon_reporting.auth.tokens import SESSION_COOKIE, TokenSigner
from recon_reporting.auth.users import User, UserStore
from recon_reporting.dependencies import get_runtime, get_settings


class LoginRequired(Exception):
    """A page request without a valid session, which is redirected to /login."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def client_address(request: Request) -> str | None:
    """Return the client address that the allowlist middleware resolved."""
    address = getattr(request.state, CLIENT_ADDRESS_KEY, None)
    return address if isinstance(address, str) else None


def _store(request: Request) -> UserStore:
    store: UserStore = request.app.state.users
    return store


def _signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.signer
    return signer


# Name of the app state attribute that stores the `KeyedLocks` of Basic sign-ins.
_BASIC_LOCKS_KEY: Final = "basic_sign_in_locks"


def _basic_locks(request: Request) -> KeyedLocks:
    # Created on first use, so each app, and with it each event loop, has its own.
    locks = getattr(request.app.state, _BASIC_LOCKS_KEY, None)
    if not isinstance(locks, KeyedLocks):
        locks = KeyedLocks()
        setattr(request.app.state, _BASIC_LOCKS_KEY, locks)
    return locks


def _user_named(request: Request, username: str | None) -> User | None:
    if username is None:
        return None
    stored = _store(request).get(username)
    if stored is None:
        return None
    return User(username=stored.username, role=stored.role)


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A user and the id of the session or token that authenticated them."""

    user: User
    session_id: str


async def _active_session(
    request: Request, *, session_id: str | None, kind: SessionKind
) -> ActiveSession | None:
    if session_id is None:
        return None
    async with session_scope(get_runtime(request).sessions) as session:
        row = await find_active_session(
            session, session_id=session_id, kind=kind, now=datetime.now(UTC)
        )
    if row is None:
        return None
    user = _user_named(request, row.username)
    if user is None:
        return None
    return ActiveSession(user=user, session_id=session_id)


async def browser_session(request: Request) -> ActiveSession | None:
    """Return the active session of the request's cookie, if it carries one."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session_id = _signer(request).read_session(
        cookie, max_age_s=get_settings(request).session_max_age_s
    )
    return await _active_session(
        request, session_id=session_id, kind=SessionKind.BROWSER
    )


async def bearer_session(request: Request, token: str) -> ActiveSession | None:
    """Return the active session of a bearer token, if the token is valid."""
    session_id = _signer(request).read_api_token(
        token, max_age_s=get_settings(request).api_token_max_age_s
    )
    return await _active_session(
        request, session_id=session_id, kind=SessionKind.API_TOKEN
    )


async def session_user(request: Request) -> User | None:
    """Return the user of an active session cookie, if the request carries one."""
    active = await browser_session(request)
    return active.user if active is not None else None


def bearer_token(request: Request) -> str | None:
    """Return the token of an `Authorization: Bearer` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def parse_basic(header: str) -> tuple[str, str] | None:
    """Return username and password of a `Basic` authorization header."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(
            "invalid Basic credentials: not base64 of user:password"
        ) from None
    username, separator, password = decoded.partition(":")
    if not separator:
        raise Unauthorized("invalid Basic credentials: missing ':' separator")
    return username, password


async def basic_user(request: Request, header: str) -> User | None:
    """Return the user of valid Basic credentials, or raise 401 or 429 if invalid."""
    credentials = parse_basic(header)
    if credentials is None:
        return None
    username, password = credentials
    runtime = get_runtime(request)
    settings = get_settings(request)
    address = client_address(request)
    user = await authenticate(
        runtime,
        _store(request),
        settings=settings,
        username=username,
        password=password,
        method="basic",
        client_address=address,
    )
    if user is None:
        raise Unauthorized("invalid username or password")
    await sign_in_basic(
        runtime,
        settings=settings,
        locks=_basic_locks(request),
        user=user,
        client_address=address,
    )
    return user


async def require_api_user(request: Request) -> User:
    """Return the authenticated user of an API request, or raise 401 or 403."""
    active = await browser_session(request)
    if active is not None:
        if request.method not in SAFE_METHODS:
            check_csrf(
                request,
                session_id=active.session_id,
                submitted=request.headers.get(CSRF_HEADER),
            )
        return active.user
    token = bearer_token(request)
    if token is not None:
        active = await bearer_session(request, token)
        if active is None:
            raise Unauthorized(
                "invalid, expired or revoked bearer token; request a new one from "
                "POST /api/v1/auth/token"
            )
        return active.user
    user = await basic_user(request, request.headers.get("authorization", ""))
    if user is None:
        raise Unauthorized(
            "authentication required: use a session cookie, a bearer token from "
            "POST /api/v1/auth/token, or HTTP Basic credentials"
        )
    return user


# Name of the request state attribute that stores the page request's `ActiveSession`.
PAGE_SESSION_KEY: Final = "browser_session"


async def require_page_user(request: Request) -> User:
    """Return the user of a page request, or redirect to the login page."""
    active = await browser_session(request)
    if active is None:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        raise LoginRequired(f"/login?next={quote(target)}")
    # The page templates derive the session's CSRF token from it.
    setattr(request.state, PAGE_SESSION_KEY, active)
    return active.user


def api_masker(
    request: Request, user: Annotated[User, Depends(require_api_user)]
) -> AccountMasker:
    """Return the redaction policy for the API user."""
    settings = get_settings(request)
    return AccountMasker(user, visible_chars=settings.redaction_visible_chars)


def page_masker(
    request: Request, user: Annotated[User, Depends(require_page_user)]
) -> AccountMasker:
    """Return the redaction policy for the page user."""
    settings = get_settings(request)
    return AccountMasker(user, visible_chars=settings.redaction_visible_chars)


ApiUser = Annotated[User, Depends(require_api_user)]
PageUser = Annotated[User, Depends(require_page_user)]
ApiMasker = Annotated[AccountMasker, Depends(api_masker)]
PageMasker = Annotated[AccountMasker, Depends(page_masker)]
