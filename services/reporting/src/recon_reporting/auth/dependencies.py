"""Dependencies that identify the user of a request.

A request is authenticated by, in this order: the session cookie of the web pages, an
`Authorization: Bearer` token from `POST /api/v1/auth/token`, or HTTP Basic
credentials. Failed Basic logins are audited; successful ones are not, because every
API call made with Basic credentials would otherwise add a `login` event.
"""

import base64
import binascii
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from recon_common.errors import Unauthorized

from recon_reporting.access.middleware import CLIENT_ADDRESS_KEY
from recon_reporting.access.redaction import AccountMasker
from recon_reporting.auth.service import audit_login, check_password
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


def _user_named(request: Request, username: str | None) -> User | None:
    if username is None:
        return None
    stored = _store(request).get(username)
    if stored is None:
        return None
    return User(username=stored.username, role=stored.role)


def session_user(request: Request) -> User | None:
    """Return the user of a valid session cookie, if the request carries one."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    settings = get_settings(request)
    username = _signer(request).read_session(
        cookie, max_age_s=settings.session_max_age_s
    )
    return _user_named(request, username)


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
    """Return the user of valid Basic credentials, or audit and raise if invalid."""
    credentials = parse_basic(header)
    if credentials is None:
        return None
    username, password = credentials
    user = await check_password(_store(request), username=username, password=password)
    if user is None:
        await audit_login(
            get_runtime(request),
            settings=get_settings(request),
            username=username,
            succeeded=False,
            method="basic",
            client_address=client_address(request),
        )
        raise Unauthorized("invalid username or password")
    return user


async def require_api_user(request: Request) -> User:
    """Return the authenticated user of an API request, or raise 401."""
    user = session_user(request)
    if user is not None:
        return user
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        settings = get_settings(request)
        username = _signer(request).read_api_token(
            token.strip(), max_age_s=settings.api_token_max_age_s
        )
        user = _user_named(request, username)
        if user is None:
            raise Unauthorized("invalid or expired bearer token; request a new one")
        return user
    user = await basic_user(request, header)
    if user is None:
        raise Unauthorized(
            "authentication required: use a session cookie, a bearer token from "
            "POST /api/v1/auth/token, or HTTP Basic credentials"
        )
    return user


def require_page_user(request: Request) -> User:
    """Return the user of a page request, or redirect to the login page."""
    user = session_user(request)
    if user is None:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        raise LoginRequired(f"/login?next={quote(target)}")
    return user


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
