"""Protection of cookie-authenticated requests against cross-site request forgery.

Two checks apply to every state-changing request that a session cookie
authenticates:

1. Fetch Metadata: a request whose `Sec-Fetch-Site` header is `cross-site` or
   `same-site` is rejected, because another site (a sibling subdomain included) sent
   it. Browsers that predate the header send none, and such requests pass this check.
2. A synchronizer token: the page forms carry `csrf_token` and API calls carry the
   `X-CSRF-Token` header. The token is an HMAC-SHA256 of the session id under
   `session_secret`, so it is fixed for one session, differs between sessions, and
   cannot be computed without the secret or the session cookie, which is HttpOnly.

Login and logout get only the Fetch Metadata check. Login has no session yet to bind
a token to, and a forged logout can only end the user's own session. The session
cookie stays `SameSite=Lax`, which keeps browsers from sending it with cross-site
POSTs at all.
"""

import base64
import hashlib
import hmac
from typing import Final

from fastapi import Request
from recon_common.errors import Forbidden

from recon_reporting.dependencies import get_settings

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests that a page of this site did not start.
_FOREIGN_SITES: Final = frozenset({"cross-site", "same-site"})
_DOMAIN: Final = b"recon-reporting.csrf\x00"


class CsrfRejected(Forbidden):
    pass


def csrf_token(secret: str, session_id: str) -> str:
    """Return the CSRF token of the session `session_id`."""
    digest = hmac.new(
        secret.encode(), _DOMAIN + session_id.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def session_csrf_token(request: Request, session_id: str) -> str:
    """Return the CSRF token of `session_id` under the app's session secret."""
    secret = get_settings(request).session_secret.get_secret_value()
    return csrf_token(secret, session_id)


def reject_foreign_site(request: Request) -> None:
    """Raise 403 if the browser reports that another site sent the request."""
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site in _FOREIGN_SITES:
        raise CsrfRejected(
            f"request rejected: the browser reports that a {site} page sent it; "
            "submit the form from this site's own pages"
        )


def check_csrf(request: Request, *, session_id: str, submitted: str | None) -> None:
    """Raise 403 unless the request is same-site and carries the session's token."""
    reject_foreign_site(request)
    if not submitted:
        raise CsrfRejected(
            "missing CSRF token; reload the page and submit the form again"
        )
    expected = session_csrf_token(request, session_id)
    if not hmac.compare_digest(expected.encode(), submitted.strip().encode()):
        raise CsrfRejected(
            "invalid CSRF token for this session; reload the page and submit the "
            "form again"
        )
