"""Tests for the match rate report: outcomes, value date range and page."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.reporting.conftest import basic, feed, login, outbox_events
from tests.reporting.reports.scenarios import (
    EUR_RECONCILIATION,
    USD_RECONCILIATION,
    open_break,
    outcome_run,
    run_of,
)

VALUE_DATE = date(2026, 11, 20)


async def feed_outcomes(app: FastAPI) -> None:
    scenario = outcome_run(VALUE_DATE)
    sent = datetime.now(UTC)
    await feed(app, scenario.run, time=sent)
    await feed(app, scenario.write_off, time=sent + timedelta(minutes=1))


async def match_rate(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/reports/match-rate", params=params, auth=basic("vera")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_match_rate_counts_outcomes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_outcomes(app)

    report = await match_rate(client)

    [row] = report["rows"]
    assert row["reconciliation_id"] == EUR_RECONCILIATION
    assert row["name"] == "EUR nostro"
    assert row["transactions"] == 13
    assert row["auto_matched"] == 6
    assert row["manually_matched"] == 2
    assert row["proposed"] == 2
    assert row["open"] == 2
    assert row["written_off"] == 1
    assert row["closed"] == 0
    assert row["pending"] == 0
    assert row["auto_match_rate"] == "0.4615"


async def test_match_rate_total_adds_reconciliations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_outcomes(app)
    usd = open_break(
        "usd-open",
        reconciliation_id=USD_RECONCILIATION,
        amount="1.00",
        age_days=0,
        currency="USD",
        value_date=VALUE_DATE,
    )
    await feed(app, run_of([usd], run_id="run-2"))

    report = await match_rate(client)

    assert [row["reconciliation_id"] for row in report["rows"]] == [
        EUR_RECONCILIATION,
        USD_RECONCILIATION,
    ]
    total = report["total"]
    assert total["reconciliation_id"] is None
    assert total["transactions"] == 14
    assert total["open"] == 3
    assert total["auto_matched"] == 6
    assert total["auto_match_rate"] == "0.4286"


async def test_match_rate_value_date_range(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_outcomes(app)
    day = VALUE_DATE.isoformat()
    next_day = (VALUE_DATE + timedelta(days=1)).isoformat()

    inside = await match_rate(client, value_date_from=day, value_date_to=day)
    after = await match_rate(client, value_date_from=next_day)
    before = await match_rate(client, value_date_to="2026-11-19")

    assert inside["rows"][0]["transactions"] == 13
    assert inside["value_date_from"] == day
    assert after["rows"] == []
    assert after["total"]["transactions"] == 0
    assert after["total"]["auto_match_rate"] == "0.0000"
    assert before["rows"] == []


async def test_match_rate_reconciliation_filter(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_outcomes(app)

    report = await match_rate(client, reconciliation_id=USD_RECONCILIATION)

    assert report["rows"] == []


async def test_match_rate_reversed_range_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/reports/match-rate",
        params={"value_date_from": "2026-11-21", "value_date_to": "2026-11-20"},
        auth=basic("vera"),
    )

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidDateRange"
    assert "2026-11-21" in response.json()["detail"]


async def test_match_rate_invalid_date_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/reports/match-rate",
        params={"value_date_from": "20.11.2026"},
        auth=basic("vera"),
    )

    assert response.status_code == 422


async def test_reports_not_audited_as_sensitive_reads(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_outcomes(app)

    await client.get("/api/v1/reports/match-rate", auth=basic("admin"))
    await client.get("/api/v1/reports/ageing", auth=basic("admin"))

    actions = [event["action"] for event in await outbox_events(app)]
    assert actions == ["login"]


async def test_match_rate_page_shows_counts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_outcomes(app)
    await login(client, "vera")

    response = await client.get(
        "/reports/match-rate",
        params={"value_date_from": VALUE_DATE.isoformat(), "value_date_to": ""},
    )

    assert response.status_code == 200
    assert 'id="match-rate-rows"' in response.text
    assert "46.2 %" in response.text
    assert f'value="{VALUE_DATE.isoformat()}"' in response.text


async def test_match_rate_page_reversed_range_is_html_error(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "vera")

    response = await client.get(
        "/reports/match-rate",
        params={"value_date_from": "2026-11-21", "value_date_to": "2026-11-20"},
        headers={"Accept": "text/html"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
