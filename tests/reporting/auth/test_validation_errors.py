"""Tests for the error envelope of FastAPI's request validation errors."""

import httpx

from tests.reporting.conftest import basic


async def test_validation_error_uses_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/transactions", params={"currency": "EURO"}, auth=basic("vera")
    )

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RequestValidationError"
    assert body["detail"][0]["loc"] == ["query", "currency"]
    assert set(body) == {"error", "detail"}


async def test_validation_error_of_login_form_uses_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/login", data={"username": "otto"})

    assert response.status_code == 422
    assert response.json()["error"] == "RequestValidationError"
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


async def test_validation_error_page_for_browser(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login", data={"username": "otto"}, headers={"Accept": "text/html"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "body.password: Field required" in response.text


async def test_openapi_validation_response_uses_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")

    operation = response.json()["paths"]["/api/v1/transactions"]["get"]
    schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    assert "ErrorBody" in response.json()["components"]["schemas"]
