"""Tests for the open break list: ages, age bands and filters."""

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from recon_common.events import MatchesProduced

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
