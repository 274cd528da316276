"""Tests for the summary and reconciliation routes."""

import httpx
from fastapi import FastAPI

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import RECONCILIATION_ID, build_day


async def test_summary_equals_fed_numbers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=10, matched_pairs=7)
    await feed(app, day.payload)

    response = await client.get("/api/v1/summary", auth=basic("vera"))

    body = response.json()
    assert response.status_code == 200
    assert body["files"] == day.files
    assert body["files_rejected"] == day.files_rejected
    assert body["transactions"] == day.transactions
    assert body["matched"] == day.matched
    assert body["open_breaks"] == day.open_breaks
    # 14 matched of 17 transactions.
    assert body["auto_match_rate"] == "0.8235"


async def test_summary_empty_read_model_is_zero(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/summary", auth=basic("vera"))

    assert response.json() == {
        "files": 0,
        "files_rejected": 0,
        "transactions": 0,
        "matched": 0,
        "open_breaks": 0,
        "auto_match_rate": "0.0000",
    }


async def test_reconciliations_list_counts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)

    response = await client.get("/api/v1/reconciliations", auth=basic("vera"))

    [item] = response.json()["items"]
    assert item["reconciliation_id"] == RECONCILIATION_ID
    assert item["name"] == "EUR nostro"
    assert item["transactions"] == day.transactions
    assert item["matched"] == day.matched
    assert item["open_breaks"] == day.open_breaks
    assert item["auto_match_rate"] == "0.8000"


async def test_reconciliation_unknown_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/reconciliations/nope", auth=basic("vera"))

    assert response.status_code == 404
    assert response.json()["error"] == "ReconciliationNotFound"


async def test_summary_without_credentials_is_unauthorized(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/summary")

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
