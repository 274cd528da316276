"""Calls to the matcher's `/v1/definitions` routes on behalf of a signed-in user.

Each call sends the service token with the user's name and role, as the operator
actions do (`actions.client`), and the matcher decides what the role may do: every
role may read, only approvers and administrators may save or activate. An error
response raises `MatcherRejected` with the matcher's status and detail, and a
matcher that cannot be reached raises `MatcherUnavailable`.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final
from urllib.parse import quote

import httpx
import structlog
from pydantic import TypeAdapter, ValidationError
from recon_common.errors import ReconError

from recon_reporting.actions.client import MatcherRejected, MatcherUnavailable
from recon_reporting.auth.users import User
from recon_reporting.definitions.schemas import (
    Activation,
    DefinitionHead,
    DefinitionVersion,
    VersionDiff,
    VersionSummary,
)
from recon_reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)

# Requests that `active_versions` keeps open at once, so a long list does not open
# one connection per definition.
MAX_PARALLEL_REQUESTS: Final = 4
_HEADS: Final = TypeAdapter(list[DefinitionHead])
_VERSIONS: Final = TypeAdapter(list[VersionSummary])
_ACTIVATIONS: Final = TypeAdapter(list[Activation])
_VERSION: Final = TypeAdapter(DefinitionVersion)
_ACTIVATION: Final = TypeAdapter(Activation)
_DIFF: Final = TypeAdapter(VersionDiff)


class InvalidMatcherResponse(ReconError):
    """A matcher response whose body does not have the documented shape."""

    status_code = 502


def _segment(value: str) -> str:
    return quote(value, safe="")


class DefinitionsClient:
    """The matcher's definition routes, called as one user over one connection pool."""

    def __init__(
        self, http: httpx.AsyncClient, *, settings: ReportingSettings, user: User
    ) -> None:
        self._http = http
        self._settings = settings
        self.user = user

    async def list_heads(self) -> list[DefinitionHead]:
        """Return every stored definition id with its active and newest version."""
        payload = await self._request("GET", "/v1/definitions")
        return _parse(_HEADS, payload, path="/v1/definitions")

    async def get_version(
        self, definition_id: str, *, version: int | None = None
    ) -> DefinitionVersion:
        """Return the active version of a definition, or the numbered `version`."""
        path = f"/v1/definitions/{_segment(definition_id)}"
        params = {"version": str(version)} if version is not None else None
        payload = await self._request("GET", path, params=params)
        return _parse(_VERSION, payload, path=path)

    async def active_versions(
        self, heads: Sequence[DefinitionHead]
    ) -> list[DefinitionVersion]:
        """Return the active version of each of `heads`, in the same order."""
        # One request per definition: the list page calls this only for heads from
        # a matcher whose list route does not name the active version's saver.
        limit = asyncio.Semaphore(MAX_PARALLEL_REQUESTS)

        async def fetch(head: DefinitionHead) -> DefinitionVersion:
            async with limit:
                return await self.get_version(
                    head.definition_id, version=head.active_version
                )

        return list(await asyncio.gather(*(fetch(head) for head in heads)))

    async def list_versions(self, definition_id: str) -> list[VersionSummary]:
        """Return the versions of a definition, oldest first, without bodies."""
        path = f"/v1/definitions/{_segment(definition_id)}/versions"
        payload = await self._request("GET", path)
        return _parse(_VERSIONS, payload, path=path)

    async def list_activations(self, definition_id: str) -> list[Activation]:
        """Return every switch of a definition's active version, oldest first."""
        path = f"/v1/definitions/{_segment(definition_id)}/activations"
        payload = await self._request("GET", path)
        return _parse(_ACTIVATIONS, payload, path=path)

    async def diff(
        self, definition_id: str, *, from_version: int, to_version: int
    ) -> VersionDiff:
        """Return the matcher's unified diff from one version to another."""
        path = f"/v1/definitions/{_segment(definition_id)}/diff"
        params = {"from": str(from_version), "to": str(to_version)}
        payload = await self._request("GET", path, params=params)
        return _parse(_DIFF, payload, path=path)

    async def save(
        self,
        definition_id: str,
        *,
        text: str,
        note: str | None,
        activate: bool,
        base_version: int | None = None,
    ) -> DefinitionVersion:
        """Save YAML `text` as the next version, made active only with `activate`.

        With `base_version`, the version that `text` was edited from, the matcher
        rejects the save with 409 `StaleBaseVersion` if a newer version exists.
        """
        path = f"/v1/definitions/{_segment(definition_id)}"
        params = {"activate": "true" if activate else "false"}
        if note:
            params["note"] = note
        if base_version is not None:
            params["base_version"] = str(base_version)
        payload = await self._request(
            "PUT",
            path,
            params=params,
            content=text.encode("utf-8"),
            content_type="application/yaml; charset=utf-8",
        )
        saved = _parse(_VERSION, payload, path=path)
        log.info(
            "reporting.definition.saved",
            definition_id=definition_id,
            version=saved.version,
            active=saved.active,
            user=self.user.username,
        )
        return saved

    async def activate(
        self, definition_id: str, *, version: int, note: str | None
    ) -> Activation:
        """Make a saved version the active one, with an optional note."""
        path = f"/v1/definitions/{_segment(definition_id)}/versions/{version}/activate"
        payload = await self._request("POST", path, json_body={"note": note or None})
        activation = _parse(_ACTIVATION, payload, path=path)
        log.info(
            "reporting.definition.activated",
            definition_id=definition_id,
            version=version,
            previous_version=activation.previous_version,
            user=self.user.username,
        )
        return activation

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> Any:
        token = self._settings.service_token.get_secret_value()
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Acting-User": self.user.username,
            "X-Acting-Role": self.user.role.value,
        }
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            response = await self._http.request(
                method,
                path,
                params=params,
                content=content,
                json=json_body,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            log.warning(
                "reporting.definitions.call_failed",
                method=method,
                path=path,
                error=str(exc),
            )
            raise MatcherUnavailable(
                f"the matcher at {self._settings.matcher_url} did not respond "
                f"({type(exc).__name__}); try again, or check REPORTING_MATCHER_URL"
            ) from None
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            _reject(method, path, response.status_code, payload)
        return payload


def _reject(method: str, path: str, status_code: int, payload: Any) -> None:
    error = payload.get("error", "MatcherError") if isinstance(payload, dict) else ""
    detail = payload.get("detail", payload) if isinstance(payload, dict) else payload
    log.info(
        "reporting.definitions.rejected",
        method=method,
        path=path,
        status=status_code,
        error=error,
    )
    raise MatcherRejected(status_code, error, detail)


def _parse[T](adapter: TypeAdapter[T], payload: Any, *, path: str) -> T:
    try:
        return adapter.validate_python(payload)
    except ValidationError as exc:
        log.warning(
            "reporting.definitions.invalid_response",
            path=path,
            errors=exc.error_count(),
        )
        raise InvalidMatcherResponse(
            f"the matcher's response to {path} does not have the expected fields "
            f"({exc.error_count()} invalid); check that the matcher and the "
            "reporting service run the same release"
        ) from None


@asynccontextmanager
async def definitions_client(
    settings: ReportingSettings, *, user: User
) -> AsyncIterator[DefinitionsClient]:
    """Yield a client of the matcher's definition routes that acts as `user`."""
    async with httpx.AsyncClient(
        base_url=settings.matcher_url, timeout=settings.matcher_timeout_s
    ) as http:
        yield DefinitionsClient(http, settings=settings, user=user)
