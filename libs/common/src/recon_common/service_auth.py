"""Service token check of the internal HTTP APIs.

A caller of an internal API sends `Authorization: Bearer <token>`, where the token
is the `service_token` setting (`<PREFIX>SERVICE_TOKEN`) of the service it calls.
Routers add `require_service_token` as a dependency. The health routes do not, so
that probes need no secret. The app must store its settings in `app.state.settings`.
"""

import secrets
import time
from collections.abc import Callable
from typing import Annotated, Final

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from recon_common.errors import Unauthorized
from recon_common.settings import ServiceSettings

log = structlog.get_logger(__name__)

# Seconds between two warnings about rejected requests. The warnings between them
# are counted and reported with the next one.
REJECTION_LOG_INTERVAL_S: Final = 60.0

_bearer = HTTPBearer(
    scheme_name="ServiceToken",
    description="The service token of the called service (<PREFIX>SERVICE_TOKEN).",
    auto_error=False,
)


class InvalidServiceToken(Unauthorized):
    """The request has no service token, or not the one the service expects."""

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that name the expected authentication scheme."""
        return {"WWW-Authenticate": "Bearer"}


class _RejectionLog:
    """Warnings about rejected tokens, at most one per interval per process."""

    def __init__(
        self, *, interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._last_logged: float | None = None
        self._suppressed = 0

    def record(self, *, reason: str, path: str, client: str | None) -> None:
        now = self._clock()
        if self._last_logged is not None and now - self._last_logged < self._interval_s:
            self._suppressed += 1
            return
        log.warning(
            "service_auth.rejected",
            reason=reason,
            path=path,
            client=client,
            suppressed_since_last=self._suppressed,
        )
        self._last_logged = now
        self._suppressed = 0


_rejections = _RejectionLog(interval_s=REJECTION_LOG_INTERVAL_S)


def token_setting_name(settings: ServiceSettings) -> str:
    """Return the environment variable that sets the service's token."""
    prefix = settings.model_config.get("env_prefix", "")
    return f"{prefix}SERVICE_TOKEN"


def _app_settings(request: Request) -> ServiceSettings:
    settings = getattr(request.app.state, "settings", None)
    if not isinstance(settings, ServiceSettings):
        # A wiring mistake in the app factory. Raising fails the request with a
        # 500 instead of serving it without a check.
        raise RuntimeError(
            "app.state.settings is not set, so the service token cannot be checked. "
            "Store the service's settings on app.state in its app factory."
        )
    return settings


def _reject(request: Request, *, reason: str, message: str) -> InvalidServiceToken:
    client = request.client.host if request.client is not None else None
    _rejections.record(reason=reason, path=request.url.path, client=client)
    return InvalidServiceToken(message)


def carries_service_token(request: Request, settings: ServiceSettings) -> bool:
    """Return whether the request's bearer token is the service's token.

    A quiet check for work that should only happen for an authorized caller,
    before the route's `require_service_token` rejects the others and logs it.
    """
    expected = settings.service_token.get_secret_value()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return secrets.compare_digest(presented.strip().encode(), expected.encode())


async def require_service_token(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Raise 401 unless the request carries the service's own token."""
    # `_scheme` only declares the Bearer scheme in the OpenAPI document. The header
    # is parsed here, so that each kind of failure gets its own message. It is async
    # because FastAPI runs a sync dependency in a worker thread, and this one does
    # no blocking I/O.
    settings = _app_settings(request)
    setting = token_setting_name(settings)
    expected = settings.service_token.get_secret_value()
    how_to_send = (
        f"Send the header 'Authorization: Bearer <token>' with the value of {setting}."
    )

    if not expected:
        raise _reject(
            request,
            reason="token_not_configured",
            message=f"{setting} is empty, so the service rejects every request. Set "
            "the same token on the service and on its callers.",
        )

    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme and scheme.lower() != "bearer":
        raise _reject(
            request,
            reason="not_bearer",
            message=f"The Authorization header is not a Bearer token. {how_to_send}",
        )

    presented = presented.strip()
    if not presented:
        raise _reject(
            request, reason="missing", message=f"Missing service token. {how_to_send}"
        )

    # Both sides are encoded, because compare_digest rejects non-ASCII str values.
    if not secrets.compare_digest(presented.encode(), expected.encode()):
        raise _reject(
            request, reason="invalid", message=f"Invalid service token. {how_to_send}"
        )
