"""Tests for the `matches-produced` handler that builds the read model."""

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from recon_common.events import MatchesProduced, ReconciliationSummary

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import RECONCILIATION_ID, build_day


async def summary(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.get("/api/v1/summary", auth=basic("vera"))
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_handler_redelivery_is_idempotent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day()
    await feed(app, day.payload)
    first = await summary(client)

    await feed(app, day.payload)
    second = await summary(client)

    assert second == first
    assert second["transactions"] == day.transactions
    assert second["open_breaks"] == day.open_breaks


async def test_handler_closed_breaks_are_removed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    closing = MatchesProduced(
        run_id="run-2", chunk_index=0, chunk_count=1, closed_break_ids=["stmt-004"]
    )

    await feed(app, closing)

    body = await summary(client)
    assert body["open_breaks"] == day.open_breaks - 1
    response = await client.get("/api/v1/transactions/stmt-004", auth=basic("vera"))
    assert response.json()["status"] == "pending"


async def test_handler_group_after_break_matches_transaction(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    late_group = day.payload.groups[0].model_copy(
        update={"group_id": "group-late", "transaction_ids": ["stmt-005"]}
    )

    await feed(
        app,
        MatchesProduced(
            run_id="run-2", chunk_index=0, chunk_count=1, groups=[late_group]
        ),
    )

    body = await summary(client)
    assert body["open_breaks"] == day.open_breaks - 1
    assert body["matched"] == day.matched + 1


async def test_handler_older_summary_does_not_overwrite(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day()
    now = datetime.now(UTC)
    await feed(app, day.payload, time=now)
    stale = MatchesProduced(
        run_id="run-0",
        chunk_index=0,
        chunk_count=1,
        summaries=[
            ReconciliationSummary(
                reconciliation_id=RECONCILIATION_ID,
                name="EUR nostro",
                transactions=1,
                matched=0,
                open_breaks=1,
            )
        ],
    )

    await feed(app, stale, time=now - timedelta(hours=1))

    response = await client.get(
        f"/api/v1/reconciliations/{RECONCILIATION_ID}", auth=basic("vera")
    )
    assert response.json()["transactions"] == day.transactions
    assert response.json()["run_id"] == "run-1"
