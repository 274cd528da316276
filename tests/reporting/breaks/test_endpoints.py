"""Tests for the open break list: ages, age bands and filters."""

from datetime import UTC, date, datetime, timedelta

import httpx
from fastapi import FastAPI
from recon_common.events import BreakAgeBasis, MatchesProduced

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import LEDGER_ACCOUNT, STATEMENT_ACCOUNT, build_day


async def test_breaks_age_band_filters_by_opening_day(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    old = build_day(statements=3, matched_pairs=1, opened_at=now - timedelta(days=10))
    await feed(app, old.payload)
    recent_break = old.payload.opened_breaks[0].model_copy(
        update={"opened_at": now - timedelta(hours=1)}
    )
    await feed(
        app,
        MatchesProduced(
            run_id="run-2", chunk_index=0, chunk_count=1, opened_breaks=[recent_break]
        ),
    )

    old_page = await client.get(
        "/api/v1/breaks", params={"age_band": "8-30d"}, auth=basic("vera")
    )
    new_page = await client.get(
        "/api/v1/breaks", params={"age_band": "0-1d"}, auth=basic("vera")
    )

    [old_item] = old_page.json()["items"]
    [new_item] = new_page.json()["items"]
    assert old_item["age_days"] == 10
    assert new_item["transaction_id"] == recent_break.transaction_id
    assert new_item["age_days"] in {0, 1}


async def test_breaks_filter_by_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=5, matched_pairs=2)
    await feed(app, day.payload)

    statement = await client.get(
        "/api/v1/breaks", params={"account": STATEMENT_ACCOUNT}, auth=basic("vera")
    )
    ledger = await client.get(
        "/api/v1/breaks", params={"account": LEDGER_ACCOUNT}, auth=basic("vera")
    )

    assert statement.json()["total"] == day.open_breaks
    assert ledger.json()["total"] == 0
    assert statement.json()["items"][0]["account"] == "••••3000"


async def test_breaks_age_counts_from_age_date(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    day = build_day(statements=3, matched_pairs=1, opened_at=now)
    old_value_date = date(2009, 10, 16)
    first = day.payload.opened_breaks[0].model_copy(
        update={"age_basis": BreakAgeBasis.VALUE_DATE, "age_date": old_value_date}
    )
    payload = day.payload.model_copy(
        update={"opened_breaks": [first, *day.payload.opened_breaks[1:]]}
    )
    await feed(app, payload)

    response = await client.get(
        "/api/v1/breaks", params={"age_band": "over-30d"}, auth=basic("vera")
    )
    recent = await client.get(
        "/api/v1/breaks", params={"age_band": "0-1d"}, auth=basic("vera")
    )

    [item] = response.json()["items"]
    assert item["transaction_id"] == first.transaction_id
    assert item["age_date"] == "2009-10-16"
    assert item["age_days"] == (now.date() - old_value_date).days
    recent_ids = {row["transaction_id"] for row in recent.json()["items"]}
    assert first.transaction_id not in recent_ids


async def test_breaks_oldest_age_date_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    day = build_day(statements=3, matched_pairs=1, opened_at=now)
    # Opened earlier but with a later age date than the second break.
    early_opened = day.payload.opened_breaks[0].model_copy(
        update={
            "opened_at": now - timedelta(days=5),
            "age_date": now.date() - timedelta(days=2),
        }
    )
    late_opened = day.payload.opened_breaks[1].model_copy(
        update={"age_date": now.date() - timedelta(days=40)}
    )
    payload = day.payload.model_copy(
        update={"opened_breaks": [early_opened, late_opened]}
    )
    await feed(app, payload)

    response = await client.get("/api/v1/breaks", auth=basic("vera"))

    ids = [row["transaction_id"] for row in response.json()["items"]]
    assert ids == [late_opened.transaction_id, early_opened.transaction_id]


async def test_breaks_without_age_date_count_from_opening(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    day = build_day(statements=2, matched_pairs=1, opened_at=now - timedelta(days=3))
    await feed(app, day.payload)

    response = await client.get(
        "/api/v1/breaks", params={"age_band": "2-7d"}, auth=basic("vera")
    )

    [item] = response.json()["items"]
    assert item["age_days"] == 3
    assert item["age_date"] == (now - timedelta(days=3)).date().isoformat()


async def test_breaks_future_age_date_in_youngest_band(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    day = build_day(statements=3, matched_pairs=1, opened_at=now)
    ahead = day.payload.opened_breaks[0].model_copy(
        update={
            "age_basis": BreakAgeBasis.VALUE_DATE,
            "age_date": now.date() + timedelta(days=3),
        }
    )
    payload = day.payload.model_copy(
        update={"opened_breaks": [ahead, *day.payload.opened_breaks[1:]]}
    )
    await feed(app, payload)

    youngest = await client.get(
        "/api/v1/breaks", params={"age_band": "0-1d"}, auth=basic("vera")
    )
    export = await client.get(
        "/api/v1/reports/breaks.csv", params={"age_band": "0-1d"}, auth=basic("vera")
    )

    ids = {row["transaction_id"]: row for row in youngest.json()["items"]}
    assert ahead.transaction_id in ids
    assert ids[ahead.transaction_id]["age_days"] == 0
    assert ahead.transaction_id in export.text
