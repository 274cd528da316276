"""Transaction statuses: unassigned, written off and force-closed."""

from datetime import date

import httpx
from fastapi import FastAPI
from recon_common.events import BreakState, MatchesProduced, RecordKind

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import build_day, transaction


async def _status_of(client: httpx.AsyncClient, transaction_id: str) -> str:
    response = await client.get(
        f"/api/v1/transactions/{transaction_id}", auth=basic("vera")
    )
    return str(response.json()["status"])


async def _end_break(
    app: FastAPI, day_payload: MatchesProduced, state: BreakState
) -> str:
    target = day_payload.opened_breaks[0]
    await feed(
        app,
        MatchesProduced(
            run_id=f"{state.value}-1",
            chunk_index=0,
            chunk_count=1,
            updated_breaks=[target.model_copy(update={"state": state})],
        ),
    )
    return target.transaction_id


async def test_transaction_without_reconciliation_unassigned(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=3, matched_pairs=1)
    stray = transaction(
        "stmt-unselected",
        kind=RecordKind.STATEMENT,
        amount="12.00",
        value_date=date(2026, 12, 1),
    )
    payload = day.payload.model_copy(
        update={"transactions": [*day.payload.transactions, stray]}
    )
    await feed(app, payload)

    single = await client.get(
        f"/api/v1/transactions/{stray.transaction_id}", auth=basic("vera")
    )
    filtered = await client.get(
        "/api/v1/transactions", params={"status": "unassigned"}, auth=basic("vera")
    )
    summary = await client.get("/api/v1/summary", auth=basic("vera"))

    assert single.json()["status"] == "unassigned"
    assert single.json()["reconciliation_id"] is None
    ids = [item["transaction_id"] for item in filtered.json()["items"]]
    assert ids == [stray.transaction_id]
    assert summary.json()["unassigned"] == 1


async def test_written_off_break_status_written_off(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)

    transaction_id = await _end_break(app, day.payload, BreakState.WRITTEN_OFF)

    response = await client.get(
        f"/api/v1/transactions/{transaction_id}", auth=basic("vera")
    )
    assert response.json()["status"] == "written_off"
    assert (
        response.json()["reconciliation_id"]
        == day.payload.opened_breaks[0].reconciliation_id
    )


async def test_force_closed_break_status_closed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)

    transaction_id = await _end_break(app, day.payload, BreakState.CLOSED)

    assert await _status_of(client, transaction_id) == "closed"


async def test_written_off_status_filter(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    transaction_id = await _end_break(app, day.payload, BreakState.WRITTEN_OFF)

    response = await client.get(
        "/api/v1/transactions", params={"status": "written_off"}, auth=basic("vera")
    )

    ids = [item["transaction_id"] for item in response.json()["items"]]
    assert ids == [transaction_id]


async def test_reopened_break_after_write_off_open(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    transaction_id = await _end_break(app, day.payload, BreakState.WRITTEN_OFF)

    await feed(
        app,
        MatchesProduced(
            run_id="reopen-1",
            chunk_index=0,
            chunk_count=1,
            opened_breaks=[day.payload.opened_breaks[0]],
        ),
    )

    assert await _status_of(client, transaction_id) == "open"


async def test_redelivered_write_off_keeps_status(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    await _end_break(app, day.payload, BreakState.WRITTEN_OFF)

    transaction_id = await _end_break(app, day.payload, BreakState.WRITTEN_OFF)

    assert await _status_of(client, transaction_id) == "written_off"
