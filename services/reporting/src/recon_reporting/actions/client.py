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
    """An error response of the matcher, passed on with its status and detail.

    The API returns the matcher's error name (such as `StateConflict`), so a
    client can tell a conflict from a missing item. A server error of the matcher
    becomes 502, because the reporting service did nothing wrong.
    """

    def __init__(self, status_code: int, error: str, detail: Any) -> None:
        if status_code >= 500:
            detail = (
                f"the matcher failed with status {status_code} ({detail}); see "
                "the matcher's log, then try again"
            )
            status_code = 502
        super().__init__(str(detail), detail=detail)
        self.status_code = status_code  # type: ignore[misc]
        self.error = error or type(self).__name__


async def call_matcher(
    settings: ReportingSettings,
    *,
    user: User,
    path: str,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """POST to the matcher as `user` and return its status and JSON body."""
    status, payload = await _request(
        settings, method="POST", user=user, path=path, body=body or {}, params=params
    )
    log.info("reporting.matcher.action", path=path, user=user.username, status=status)
    return status, payload


async def fetch_from_matcher(
    settings: ReportingSettings,
    *,
    user: User,
    path: str,
    params: dict[str, str] | None = None,
) -> Any:
    """GET a resource of the matcher as `user` and return its JSON body."""
    _, payload = await _request(
        settings, method="GET", user=user, path=path, body=None, params=params
    )
    return payload


async def _request(
    settings: ReportingSettings,
    *,
    method: str,
    user: User,
    path: str,
    body: dict[str, Any] | None,
    params: dict[str, str] | None,
) -> tuple[int, Any]:
    headers = {
        "Authorization": f"Bearer {settings.service_token.get_secret_value()}",
        "X-Acting-User": user.username,
        "X-Acting-Role": user.role.value,
    }
    try:
        async with httpx.AsyncClient(
            base_url=settings.matcher_url, timeout=settings.matcher_timeout_s
        ) as http:
            response = await http.request(
                method, path, json=body, params=params, headers=headers
            )
    except httpx.HTTPError as exc:
        log.warning("reporting.matcher.call_failed", path=path, error=str(exc))
        raise MatcherUnavailable(
            f"the matcher at {settings.matcher_url} did not respond "
            f"({type(exc).__name__}); try again, or check REPORTING_MATCHER_URL"
        ) from None
    try:
        payload = response.json()
    except ValueError:
        payload = response.text
    if response.status_code >= 400:
        error = (
            payload.get("error", "MatcherError") if isinstance(payload, dict) else ""
        )
        detail = (
            payload.get("detail", payload) if isinstance(payload, dict) else payload
        )
        raise MatcherRejected(response.status_code, error, detail)
    return response.status_code, payload
