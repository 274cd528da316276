"""Input checks of the re-run route, made before the request reaches the matcher."""

import httpx

from tests.reporting.conftest import basic

RERUN = "/api/v1/reconciliations/rec-eur-nostro/rerun"


async def test_rerun_missing_dates_named(client: httpx.AsyncClient) -> None:
    response = await client.post(RERUN, auth=basic("otto"))

    body = response.json()
    assert response.status_code == 422
    assert set(body) == {"error", "detail"}
    assert body["error"] == "RequestValidationError"
    assert body["detail"] == (
        "missing query parameter from; send a date as YYYY-MM-DD; "
        "missing query parameter to; send a date as YYYY-MM-DD"
    )


async def test_rerun_missing_to_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        RERUN, params={"from": "2026-03-01"}, auth=basic("otto")
    )

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "missing query parameter to; send a date as YYYY-MM-DD"
    )


async def test_rerun_invalid_date_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        RERUN, params={"from": "2026-03-01", "to": "2026-13-01"}, auth=basic("otto")
    )

    detail = response.json()["detail"]
    assert response.status_code == 422
    assert detail.startswith("invalid query parameter to '2026-13-01': ")
    assert "month value is outside expected range of 1-12" in detail
    assert detail.endswith("; send a date as YYYY-MM-DD")


async def test_rerun_short_date_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        RERUN, params={"from": "2026-3-1", "to": "2026-03-31"}, auth=basic("otto")
    )

    detail = response.json()["detail"]
    assert response.status_code == 422
    assert detail.startswith("invalid query parameter from '2026-3-1': ")
    assert detail.endswith("; send a date as YYYY-MM-DD")


async def test_rerun_reversed_range_rejected(client: httpx.AsyncClient) -> None:
    response = await client.post(
        RERUN, params={"from": "2026-03-31", "to": "2026-03-01"}, auth=basic("otto")
    )

    body = response.json()
    assert response.status_code == 422
    assert set(body) == {"error", "detail"}
    assert body["error"] == "InvalidRerunRange"
    assert body["detail"] == (
        "invalid range: to 2026-03-01 is before from 2026-03-31; "
        "send a to date on or after the from date"
    )


async def test_rerun_invalid_dry_run_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        RERUN,
        params={"from": "2026-03-01", "to": "2026-03-31", "dry_run": "maybe"},
        auth=basic("otto"),
    )

    detail = response.json()["detail"]
    assert response.status_code == 422
    assert detail.startswith("invalid query parameter dry_run 'maybe': ")
    assert detail.endswith("; send true or false")


async def test_rerun_openapi_documents_dates(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    operation = response.json()["paths"][
        "/api/v1/reconciliations/{reconciliation_id}/rerun"
    ]["post"]
    parameters = {item["name"]: item for item in operation["parameters"]}
    assert parameters["from"]["required"] is True
    assert parameters["from"]["schema"]["format"] == "date"
    assert parameters["to"]["required"] is True
    assert operation["responses"]["422"]["description"] == "InvalidRerunRange"
