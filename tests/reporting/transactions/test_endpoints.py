"""Tests for the transaction search: filters, offset pages and cursors."""

import httpx
from fastapi import FastAPI

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import RECONCILIATION_ID, build_day


async def test_transactions_offset_pages_cover_all(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=12, matched_pairs=5)
    await feed(app, day.payload)
    seen: list[str] = []

    for offset in range(0, day.transactions, 5):
        response = await client.get(
            "/api/v1/transactions",
            params={"limit": 5, "offset": offset},
            auth=basic("vera"),
        )
        seen += [item["transaction_id"] for item in response.json()["items"]]

    assert len(seen) == day.transactions
    assert len(set(seen)) == day.transactions
    assert response.json()["total"] == day.transactions


async def test_transactions_cursor_pages_cover_all(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=12, matched_pairs=5)
    await feed(app, day.payload)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 4}

    for _ in range(10):
        response = await client.get(
            "/api/v1/transactions", params=params, auth=basic("vera")
        )
        body = response.json()
        seen += [item["transaction_id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        params = {"limit": 4, "cursor": body["next_cursor"]}

    assert len(seen) == day.transactions
    assert len(set(seen)) == day.transactions
    assert body["total"] == day.transactions


async def test_transactions_filter_by_status(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)

    matched = await client.get(
        "/api/v1/transactions", params={"status": "matched"}, auth=basic("vera")
    )
    open_ = await client.get(
        "/api/v1/transactions", params={"status": "open"}, auth=basic("vera")
    )

    assert matched.json()["total"] == day.matched
    assert open_.json()["total"] == day.open_breaks
    assert {item["status"] for item in open_.json()["items"]} == {"open"}


async def test_transactions_filter_by_kind_date_currency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=9, matched_pairs=3)
    await feed(app, day.payload)
    expected = [
        row
        for row in day.transactions_list
        if row.record_kind == "statement" and row.value_date.isoformat() == "2026-12-02"
    ]

    response = await client.get(
        "/api/v1/transactions",
        params={
            "record_kind": "statement",
            "value_date_from": "2026-12-02",
            "value_date_to": "2026-12-02",
            "currency": "eur",
            "reconciliation_id": RECONCILIATION_ID,
        },
        auth=basic("vera"),
    )

    ids = [item["transaction_id"] for item in response.json()["items"]]
    assert ids == sorted(row.transaction_id for row in expected)
    assert response.json()["total"] == len(expected)


async def test_transactions_invalid_cursor_rejected(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/transactions", params={"cursor": "not-a-cursor"}, auth=basic("vera")
    )

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidCursor"


async def test_transactions_page_links_next_offset(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=60, matched_pairs=5)
    await feed(app, day.payload)
    await client.post(
        "/login", data={"username": "vera", "password": "correct horse battery staple"}
    )

    response = await client.get("/transactions", params={"record_kind": "statement"})

    assert response.status_code == 200
    assert "record_kind=statement&amp;offset=50" in response.text
    assert "1–50 of 60" in response.text
