"""Tests for the error model: one JSON envelope for every `ReconError`."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from recon_common.errors import (
    Conflict,
    ErrorBody,
    Forbidden,
    InvalidRequest,
    NotFound,
    ReconError,
    Unauthorized,
    error_responses,
    install_error_handler,
)
from recon_common.storage import RetentionViolation


class QuotaExceeded(ReconError):
    status_code = 429


class RetryLater(ReconError):
    status_code = 503

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that tell the client when to retry."""
        return {"Retry-After": "30"}


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handler(app)

    @app.get("/missing", responses=error_responses(NotFound))
    async def missing() -> dict[str, str]:
        """Raise NotFound."""
        raise NotFound("file 'f-1' not found")

    @app.get("/detailed")
    async def detailed() -> dict[str, str]:
        """Raise InvalidRequest with a structured detail."""
        raise InvalidRequest(
            "invalid upload", detail={"field": "amount", "problem": "too many decimals"}
        )

    @app.get("/retained")
    async def retained() -> dict[str, str]:
        """Raise a subclass of Conflict."""
        raise RetentionViolation("object 'x' cannot be deleted")

    @app.get("/quota")
    async def quota() -> dict[str, str]:
        """Raise a service-defined error."""
        raise QuotaExceeded("too many reports")

    @app.get("/forbidden")
    async def forbidden() -> dict[str, str]:
        """Raise Forbidden."""
        raise Forbidden("role viewer cannot approve")

    @app.get("/unauthorized")
    async def unauthorized() -> dict[str, str]:
        """Raise Unauthorized."""
        raise Unauthorized("session expired")

    @app.get("/retry")
    async def retry() -> dict[str, str]:
        """Raise an error that carries response headers."""
        raise RetryLater("busy")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """Return an HTTP client bound to the test app in process."""
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as c:
        yield c


@pytest.mark.parametrize(
    ("path", "status", "error", "detail"),
    [
        ("/missing", 404, "NotFound", "file 'f-1' not found"),
        (
            "/detailed",
            422,
            "InvalidRequest",
            {"field": "amount", "problem": "too many decimals"},
        ),
        ("/retained", 409, "RetentionViolation", "object 'x' cannot be deleted"),
        ("/quota", 429, "QuotaExceeded", "too many reports"),
        ("/forbidden", 403, "Forbidden", "role viewer cannot approve"),
        ("/unauthorized", 401, "Unauthorized", "session expired"),
    ],
)
async def test_error_handler_envelope(
    client: httpx.AsyncClient,
    path: str,
    status: int,
    error: str,
    detail: object,
) -> None:
    response = await client.get(path)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": error, "detail": detail}


def test_error_keeps_message_and_detail() -> None:
    error = Conflict("already approved", detail={"match_id": "m-1"})

    assert str(error) == "already approved"
    assert error.message == "already approved"
    assert error.detail == {"match_id": "m-1"}


def test_error_responses_documented_in_openapi() -> None:
    schema = _app().openapi()

    response = schema["paths"]["/missing"]["get"]["responses"]["404"]

    assert response["description"] == "NotFound"
    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {
        "error",
        "detail",
    }


def test_error_responses_maps_status_codes() -> None:
    responses = error_responses(NotFound, Conflict, Forbidden)

    assert set(responses) == {404, 409, 403}
    assert responses[409]["model"] is ErrorBody


async def test_error_handler_sends_error_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/retry")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert response.json() == {"error": "RetryLater", "detail": "busy"}
