"""ASGI middleware that adds browser security headers to every response.

The middleware sets each header only where the response has none, so a route that
needs a different Content-Security-Policy (the Swagger UI page at `/docs`) sets its
own header and the middleware keeps it.
"""

from collections.abc import Iterable, Mapping
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP_HEADER: Final = "content-security-policy"

# Directives that every policy of the service contains.
_BASE_DIRECTIVES: Final[Mapping[str, str]] = {
    "default-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
}


def format_policy(directives: Mapping[str, str]) -> str:
    """Join the base directives and `directives` into a CSP header value.

    An entry of `directives` replaces the base directive of the same name.
    """
    merged = {**_BASE_DIRECTIVES, **directives}
    return "; ".join(f"{name} {value}" for name, value in merged.items())


# The pages use no scripts, inline styles or frames, so the policy can be strict.
STRICT_POLICY: Final = format_policy({"script-src": "'none'"})


def swagger_ui_policy(*, inline_script_hashes: Iterable[str]) -> str:
    """Return the CSP of the Swagger UI page.

    Swagger UI 5 loads its script and stylesheet from this origin, runs one inline
    script that FastAPI generates and fetches `/openapi.json`. Its stylesheet has
    background images as `data:` URLs. `inline_script_hashes` are base64 SHA-256
    digests of the inline scripts.
    """
    hashes = [f"'sha256-{digest}'" for digest in inline_script_hashes]
    return format_policy(
        {
            "script-src": " ".join(["'self'", *hashes]),
            "style-src": "'self'",
            "img-src": "'self' data:",
            "connect-src": "'self'",
            "object-src": "'none'",
        }
    )


_HEADERS: Final[Mapping[str, str]] = {
    CSP_HEADER: STRICT_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class SecurityHeadersMiddleware:
    """Add CSP, framing, sniffing, referrer and caching headers to responses.

    A header that the response already has is kept as it is.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self._app(scope, receive, send_with_headers)
