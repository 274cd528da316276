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
    assert body["detail"] == (
        "invalid query parameter currency 'EURO': "
        "string should have at most 3 characters"
    )
    assert set(body) == {"error", "detail"}


async def test_validation_error_of_login_form_uses_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/login", data={"username": "otto"})

    assert response.status_code == 422
    assert response.json()["error"] == "RequestValidationError"
    assert response.json()["detail"] == "missing form field password"


async def test_validation_error_page_for_browser(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login", data={"username": "otto"}, headers={"Accept": "text/html"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "missing form field password" in response.text


async def test_validation_error_names_date_format(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/transactions",
        params={"value_date_from": "01.03.2026"},
        auth=basic("vera"),
    )

    detail = response.json()["detail"]
    assert response.status_code == 422
    assert detail.startswith("invalid query parameter value_date_from '01.03.2026': ")
    assert detail.endswith("; send a date as YYYY-MM-DD")


async def test_validation_error_lists_each_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/transactions",
        params={"limit": "many", "record_kind": "journal"},
        auth=basic("vera"),
    )

    sentences = response.json()["detail"].split("; invalid ")
    assert response.status_code == 422
    assert sentences[0] == (
        "invalid query parameter record_kind 'journal': "
        "input should be 'statement' or 'ledger'"
    )
    assert sentences[1].startswith("query parameter limit 'many': ")
    assert sentences[1].endswith("; send a whole number")
    assert len(sentences) == 2


async def test_validation_error_limit_omits_format(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/transactions", params={"limit": "0"}, auth=basic("vera")
    )

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "invalid query parameter limit '0': input should be greater than or equal to 1"
    )


async def test_validation_error_of_json_body_named(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/reconciliations/rec-eur-nostro/manual-matches",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        auth=basic("otto"),
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("the request body is not valid JSON")


async def test_openapi_validation_response_uses_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")

    operation = response.json()["paths"]["/api/v1/transactions"]["get"]
    schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    assert "ErrorBody" in response.json()["components"]["schemas"]
