"""Tests for the break ageing report: API figures, totals per currency and page."""

from typing import Any

import httpx
from fastapi import FastAPI
from recon_common.events import MatchesProduced

from tests.reporting.conftest import basic, feed, login
from tests.reporting.reports.scenarios import (
    EUR_RECONCILIATION,
    USD_RECONCILIATION,
    ageing_breaks,
    open_break,
    run_of,
)


def bands(row: dict[str, Any]) -> dict[str, tuple[int, str | None]]:
    return {item["band"]: (item["count"], item["amount"]) for item in row["bands"]}


def row_of(report: dict[str, Any], reconciliation_id: str, currency: str) -> Any:
    [row] = [
        item
        for item in report["rows"]
        if item["reconciliation_id"] == reconciliation_id
        and item["currency"] == currency
    ]
    return row


async def ageing(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/reports/ageing", params=params, auth=basic("vera")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_ageing_rows_by_band_and_currency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    report = await ageing(client)

    eur = row_of(report, EUR_RECONCILIATION, "EUR")
    assert eur["name"] == "EUR nostro"
    assert bands(eur) == {
        "0-1d": (2, "0.30"),
        "2-7d": (0, "0.00"),
        "8-30d": (1, "1000.05"),
        "over-30d": (0, "0.00"),
    }
    assert eur["count"] == 3
    assert eur["amount"] == "1000.35"
    usd_in_eur = row_of(report, EUR_RECONCILIATION, "USD")
    assert bands(usd_in_eur)["over-30d"] == (1, "7.00")
    assert usd_in_eur["amount"] == "7.00"
    usd = row_of(report, USD_RECONCILIATION, "USD")
    assert bands(usd)["2-7d"] == (1, "2.50")
    assert bands(usd)["over-30d"] == (1, "0.70")
    assert usd["amount"] == "3.20"
    assert len(report["rows"]) == 3


async def test_ageing_totals_per_currency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    report = await ageing(client)

    totals = {item["currency"]: item for item in report["totals"]}
    assert set(totals) == {"EUR", "USD"}
    assert totals["EUR"]["count"] == 3
    assert totals["EUR"]["amount"] == "1000.35"
    assert totals["USD"]["count"] == 3
    assert totals["USD"]["amount"] == "10.20"
    assert bands(totals["USD"])["over-30d"] == (2, "7.70")
    assert bands(totals["USD"])["2-7d"] == (1, "2.50")


async def test_ageing_reconciliation_filter(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    report = await ageing(client, reconciliation_id=USD_RECONCILIATION)

    assert report["reconciliation_id"] == USD_RECONCILIATION
    assert [row["reconciliation_id"] for row in report["rows"]] == [USD_RECONCILIATION]
    [total] = report["totals"]
    assert total["currency"] == "USD"
    assert total["amount"] == "3.20"


async def test_ageing_blank_filter_means_all(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    report = await ageing(client, reconciliation_id="")

    assert report["reconciliation_id"] is None
    assert len(report["rows"]) == 3


async def test_ageing_break_without_transaction_has_no_amount(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    entry = open_break(
        "missing-1", reconciliation_id=EUR_RECONCILIATION, amount="3.00", age_days=3
    )
    await feed(
        app,
        MatchesProduced(
            run_id="run-1", chunk_index=0, chunk_count=1, opened_breaks=[entry.item]
        ),
    )

    report = await ageing(client)

    [row] = report["rows"]
    assert row["currency"] is None
    assert row["count"] == 1
    assert row["amount"] is None
    assert row["name"] is None
    assert bands(row)["2-7d"] == (1, None)
    [total] = report["totals"]
    assert total["currency"] is None


async def test_ageing_requires_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/reports/ageing")

    assert response.status_code == 401


async def test_ageing_page_shows_totals(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))
    await login(client, "vera")

    response = await client.get("/reports/ageing")

    assert response.status_code == 200
    assert 'id="ageing-totals"' in response.text
    assert "1,000.35" in response.text
    assert "10.20" in response.text
    assert 'href="/reports" aria-current="page"' in response.text


async def test_ageing_page_filters_reconciliation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))
    await login(client, "vera")

    response = await client.get(
        "/reports/ageing", params={"reconciliation_id": USD_RECONCILIATION}
    )

    assert response.status_code == 200
    assert "1,000.35" not in response.text
    assert "3.20" in response.text
