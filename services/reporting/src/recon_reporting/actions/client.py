"""Calls to the matcher's operator-action routes on behalf of a signed-in user."""

from typing import Any

import httpx
import structlog
from recon_common.errors import ReconError

from recon_reporting.auth.users import User
from recon_reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)


class MatcherUnavailable(ReconError):
    status_code = 502


class MatcherRejected(ReconError):
    """An error response of the matcher, passed on with its status and detail."""

    def __init__(self, status_code: int, error: str, detail: Any) -> None:
        super().__init__(str(detail), detail=detail)
        self.status_code = status_code  # type: ignore[misc]
        self.error = error


async def call_matcher(
    settings: ReportingSettings,
    *,
    user: User,
    path: str,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """POST to the matcher as `user` and return its status and JSON body."""
    headers = {
        "Authorization": f"Bearer {settings.service_token.get_secret_value()}",
        "X-Acting-User": user.username,
        "X-Acting-Role": user.role.value,
    }
    try:
        async with httpx.AsyncClient(
            base_url=settings.matcher_url, timeout=settings.matcher_timeout_s
        ) as http:
            response = await http.post(
                path, json=body or {}, params=params, headers=headers
            )
    except httpx.HTTPError as exc:
        log.warning("reporting.matcher.call_failed", path=path, error=str(exc))
        raise MatcherUnavailable(
            f"the matcher at {settings.matcher_url} did not respond "
            f"({type(exc).__name__}); try again, or check REPORTING_MATCHER_URL"
        ) from None
    payload = response.json()
    if response.status_code >= 400:
        error = (
            payload.get("error", "MatcherError") if isinstance(payload, dict) else ""
        )
        detail = (
            payload.get("detail", payload) if isinstance(payload, dict) else payload
        )
        raise MatcherRejected(response.status_code, error, detail)
    log.info(
        "reporting.matcher.action",
        path=path,
        user=user.username,
        status=response.status_code,
    )
    return response.status_code, payload
