"""Tests for `require_service_token` on a small app with one protected router."""

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import SecretStr
from recon_common import service_auth
from recon_common.errors import install_error_handler
from recon_common.service_auth import (
    InvalidServiceToken,
    carries_service_token,
    require_service_token,
    token_setting_name,
)
from recon_common.settings import Environment, ServiceSettings
from recon_ingest.settings import IngestSettings

TOKEN = secrets.token_urlsafe(32)


def _app(settings: ServiceSettings | None) -> FastAPI:
    app = FastAPI()
    if settings is not None:
        app.state.settings = settings
    install_error_handler(app)
    router = APIRouter(
        prefix="/v1/things", dependencies=[Depends(require_service_token)]
    )

    @router.get("")
    async def list_things() -> dict[str, str]:
        """Return a fixed body once the token is accepted."""
        return {"things": "listed"}

    app.include_router(router)
    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://service.test"
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        environment=Environment.TEST, service_token=SecretStr(TOKEN)
    )
    async with _client(_app(settings)) as http:
        yield http


async def test_service_token_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/things", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert response.status_code == 200
    assert response.json() == {"things": "listed"}


async def test_service_token_scheme_case_insensitive(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/v1/things", headers={"Authorization": f"bearer {TOKEN}"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("authorization", "detail_start"),
    [
        (None, "Missing service token."),
        ("Bearer wrong-token", "Invalid service token."),
        (f"Bearer {TOKEN[:-1]}", "Invalid service token."),
        (f"Bearer {TOKEN}x", "Invalid service token."),
        # Starlette decodes header bytes as Latin-1, so the token is non-ASCII text.
        ("Bearer tökën".encode(), "Invalid service token."),
        ("Bearer ", "Missing service token."),
        (f"Basic {TOKEN}", "The Authorization header is not a Bearer token."),
        (TOKEN, "The Authorization header is not a Bearer token."),
    ],
)
async def test_service_token_rejected(
    client: httpx.AsyncClient, authorization: str | bytes | None, detail_start: str
) -> None:
    headers: list[tuple[bytes, bytes]] = []
    if isinstance(authorization, str):
        headers.append((b"Authorization", authorization.encode()))
    elif authorization is not None:
        headers.append((b"Authorization", authorization))

    response = await client.get("/v1/things", headers=headers)

    body = response.json()
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["error"] == "InvalidServiceToken"
    assert body["detail"].startswith(detail_start)
    assert "SERVICE_TOKEN" in body["detail"]


async def test_service_token_message_names_prefixed_setting() -> None:
    settings = IngestSettings(
        environment=Environment.TEST, service_token=SecretStr(TOKEN)
    )

    async with _client(_app(settings)) as http:
        response = await http.get("/v1/things")

    assert "INGEST_SERVICE_TOKEN" in response.json()["detail"]


async def test_service_token_empty_setting_rejects_all() -> None:
    settings = ServiceSettings(
        environment=Environment.TEST, service_token=SecretStr("")
    )

    async with _client(_app(settings)) as http:
        without = await http.get("/v1/things")
        with_empty = await http.get("/v1/things", headers={"Authorization": "Bearer "})

    assert without.status_code == 401
    assert with_empty.status_code == 401
    assert without.json()["detail"].startswith("SERVICE_TOKEN is empty")


async def test_service_token_without_app_settings_fails() -> None:
    async with _client(_app(None)) as http:
        with pytest.raises(RuntimeError, match=r"app\.state\.settings is not set"):
            await http.get("/v1/things", headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def fresh_rejection_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the process-wide rejection log, so the next rejection is logged."""
    monkeypatch.setattr(
        service_auth, "_rejections", service_auth._RejectionLog(interval_s=60.0)
    )


@pytest.mark.usefixtures("fresh_rejection_log")
async def test_service_token_rejection_logged_without_token(
    client: httpx.AsyncClient,
) -> None:
    presented = "presented-" + secrets.token_hex(8)

    with structlog.testing.capture_logs() as logs:
        await client.get("/v1/things", headers={"Authorization": f"Bearer {presented}"})

    rejections = [item for item in logs if item["event"] == "service_auth.rejected"]
    assert len(rejections) == 1
    assert rejections[0]["reason"] == "invalid"
    assert rejections[0]["path"] == "/v1/things"
    assert presented not in repr(rejections[0])
    assert TOKEN not in repr(rejections[0])


def test_rejection_log_rate_limited() -> None:
    times = iter([100.0, 110.0, 120.0, 161.0])
    rejection_log = service_auth._RejectionLog(
        interval_s=60.0, clock=lambda: next(times)
    )

    with structlog.testing.capture_logs() as logs:
        for _ in range(4):
            rejection_log.record(reason="missing", path="/v1/things", client=None)

    assert len(logs) == 2
    assert logs[0]["suppressed_since_last"] == 0
    assert logs[1]["suppressed_since_last"] == 2


def test_service_token_setting_name_uses_prefix() -> None:
    assert token_setting_name(IngestSettings()) == "INGEST_SERVICE_TOKEN"
    assert token_setting_name(ServiceSettings()) == "SERVICE_TOKEN"


def test_service_token_documented_in_openapi() -> None:
    schema = _app(ServiceSettings()).openapi()

    operation = schema["paths"]["/v1/things"]["get"]

    assert operation["security"] == [{"ServiceToken": []}]
    assert schema["components"]["securitySchemes"]["ServiceToken"]["scheme"] == (
        "bearer"
    )


def test_invalid_service_token_is_401() -> None:
    error = InvalidServiceToken("invalid")

    assert error.status_code == 401
    assert error.headers == {"WWW-Authenticate": "Bearer"}


def _request(authorization: str | None) -> Request:
    headers = (
        [] if authorization is None else [(b"authorization", authorization.encode())]
    )
    return Request({"type": "http", "headers": headers})


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer  {TOKEN} ", True),
        ("Bearer wrong", False),
        (f"Basic {TOKEN}", False),
        ("Bearer", False),
        (None, False),
    ],
)
def test_carries_service_token_cases(authorization: str | None, expected: bool) -> None:
    settings = ServiceSettings(
        environment=Environment.TEST, service_token=SecretStr(TOKEN)
    )

    found = carries_service_token(_request(authorization), settings)

    assert found is expected


def test_carries_service_token_unset_token_false() -> None:
    settings = ServiceSettings(
        environment=Environment.TEST, service_token=SecretStr("")
    )

    found = carries_service_token(_request("Bearer "), settings)

    assert found is False
