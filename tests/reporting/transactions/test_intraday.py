"""Unassigned intraday entries in the transaction search, apart from `unassigned`.

The matcher leaves the entries of intraday reports (MT942, camt.052) unassigned
unless a definition side names their format, and the summary counts them as
`intraday_unassigned`. The search lists them under status `intraday`, so that
`unassigned` lists the transactions that `unassigned` in the summary counts.
"""

from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from recon_common.events import MatchesProduced, RecordKind, Transaction
from recon_reporting.models import TransactionStatus
from recon_reporting.transactions.schemas import ListedStatus

from tests.reporting.conftest import basic, feed, login
from tests.reporting.factory import build_day, transaction

INTRADAY_IDS = ["intraday-0", "intraday-1"]


def stray() -> Transaction:
    """Return an end-of-day statement line that no reconciliation took."""
    return transaction(
        "stray-0",
        kind=RecordKind.STATEMENT,
        amount="10.00",
        value_date=date(2026, 12, 3),
        file_id="file-other",
    )


async def feed_unassigned(app: FastAPI) -> None:
    """Feed a reconciled day, one stray statement line and two intraday entries."""
    await feed(app, build_day(statements=6, matched_pairs=4).payload)
    intraday = [
        stray().model_copy(
            update={
                "transaction_id": transaction_id,
                "source_format": source_format,
                "bank_reference": f"REF-{transaction_id}",
            }
        )
        for transaction_id, source_format in zip(
            INTRADAY_IDS, ["mt942", "camt.052"], strict=True
        )
    ]
    await feed(
        app,
        MatchesProduced(
            run_id="run-2",
            chunk_index=0,
            chunk_count=1,
            transactions=[stray(), *intraday],
        ),
    )


async def search(client: httpx.AsyncClient, status: str) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/transactions", params={"status": status}, auth=basic("vera")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids_of(body: dict[str, Any]) -> list[str]:
    return [item["transaction_id"] for item in body["items"]]


async def test_transactions_unassigned_leaves_out_intraday(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_unassigned(app)

    body = await search(client, "unassigned")
    summary = await client.get("/api/v1/summary", auth=basic("vera"))

    assert ids_of(body) == ["stray-0"]
    assert body["total"] == 1
    assert body["total"] == summary.json()["unassigned"]


async def test_transactions_intraday_lists_intraday_entries(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_unassigned(app)

    body = await search(client, "intraday")
    summary = await client.get("/api/v1/summary", auth=basic("vera"))

    assert ids_of(body) == INTRADAY_IDS
    assert body["total"] == summary.json()["intraday_unassigned"]
    assert [item["status"] for item in body["items"]] == ["intraday", "intraday"]
    assert [item["reconciliation_id"] for item in body["items"]] == [None, None]


async def test_transaction_intraday_entry_status_intraday(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_unassigned(app)

    intraday = await client.get(
        f"/api/v1/transactions/{INTRADAY_IDS[0]}", auth=basic("vera")
    )
    plain = await client.get("/api/v1/transactions/stray-0", auth=basic("vera"))

    assert intraday.json()["status"] == "intraday"
    assert plain.json()["status"] == "unassigned"


async def test_transactions_assigned_intraday_keeps_status(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # A side that names mt942 takes its entries, so they are matched or open.
    day = build_day(statements=6, matched_pairs=4)
    broken = day.payload.opened_breaks[0].transaction_id
    matched = day.payload.groups[0].transaction_ids[0]
    renamed = [
        row.model_copy(update={"source_format": "mt942"})
        if row.transaction_id in {broken, matched}
        else row
        for row in day.payload.transactions
    ]
    await feed(app, day.payload.model_copy(update={"transactions": renamed}))

    intraday = await search(client, "intraday")
    open_items = await search(client, "open")
    matched_items = await search(client, "matched")

    assert intraday["total"] == 0
    assert broken in ids_of(open_items)
    assert matched in ids_of(matched_items)


async def test_transactions_invalid_status_lists_intraday(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/transactions", params={"status": "unknown"}, auth=basic("vera")
    )

    assert response.status_code == 422
    assert "'intraday'" in response.text


async def test_transactions_page_unassigned_leaves_out_intraday(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_unassigned(app)
    await login(client, "vera")

    unassigned = await client.get("/transactions", params={"status": "unassigned"})
    everything = await client.get("/transactions")

    assert unassigned.status_code == 200
    assert "REF-stray-0" in unassigned.text
    assert "REF-intraday-0" not in unassigned.text
    assert "REF-intraday-0" in everything.text
    assert "REF-stray-0" in everything.text
    assert "<td>intraday</td>" in everything.text


def test_listed_status_covers_stored_statuses() -> None:
    stored = {status.value for status in TransactionStatus}

    listed = {status.value for status in ListedStatus}

    assert listed - stored == {"intraday"}
    assert stored <= listed


async def test_transactions_page_filters_intraday(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_unassigned(app)
    await login(client, "vera")

    intraday = await client.get("/transactions", params={"status": "intraday"})

    assert intraday.status_code == 200
    assert "REF-intraday-0" in intraday.text
    assert "REF-stray-0" not in intraday.text
    assert '<option value="intraday"' in intraday.text


async def feed_repeated_entry(app: FastAPI) -> None:
    """Feed an MT942 entry and the MT940 entry that repeats it at the end of day."""
    end_of_day = stray().model_copy(
        update={"transaction_id": "eod-0", "bank_reference": "REF-REPEATED"}
    )
    intraday = end_of_day.model_copy(
        update={
            "transaction_id": "intraday-0",
            "file_id": "file-intraday",
            "source_format": "mt942",
        }
    )
    await feed(
        app,
        MatchesProduced(
            run_id="run-2",
            chunk_index=0,
            chunk_count=1,
            transactions=[end_of_day, intraday],
        ),
    )


async def test_transaction_source_format_in_api(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_repeated_entry(app)

    intraday = await client.get("/api/v1/transactions/intraday-0", auth=basic("vera"))
    end_of_day = await client.get("/api/v1/transactions/eod-0", auth=basic("vera"))

    assert intraday.json()["source_format"] == "mt942"
    assert end_of_day.json()["source_format"] == "mt940"


async def test_transactions_page_shows_source_format(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_repeated_entry(app)
    await login(client, "vera")

    response = await client.get("/transactions")

    assert '<th scope="col">Format</th>' in response.text
    assert '<a href="/files/file-intraday">mt942</a>' in response.text
    assert '<a href="/files/file-other">mt940</a>' in response.text


def listed_rows(page: str) -> int:
    """Return the number of transaction rows on a transactions page."""
    return page.count('<td class="format">')


async def test_dashboard_counts_match_linked_lists(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_unassigned(app)
    await login(client, "vera")

    dashboard = await client.get("/")
    unassigned = await client.get("/transactions", params={"status": "unassigned"})
    intraday = await client.get("/transactions", params={"status": "intraday"})

    assert 'href="/transactions?status=unassigned">1 transaction not' in (
        dashboard.text
    )
    assert listed_rows(unassigned.text) == 1
    assert 'href="/transactions?status=intraday">2 intraday entries' in (dashboard.text)
    assert listed_rows(intraday.text) == 2
