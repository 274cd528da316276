"""The reports on PostgreSQL, the tested server database.

The other tests of this folder run on SQLite, where the ageing report sums amounts
in Python because SQLite stores them as text. On PostgreSQL the database sums
them, and the export reads through a server-side cursor of asyncpg.
"""

import csv
import io
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from recon_common.migrations import upgrade_async
from recon_reporting.reports.export import BATCH_SIZE

from tests.reporting.conftest import basic, feed, outbox_events
from tests.reporting.factory import STATEMENT_ACCOUNT
from tests.reporting.reports.scenarios import (
    EUR_RECONCILIATION,
    ageing_breaks,
    open_break,
    outcome_run,
    run_of,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database_url(postgres_url: str) -> str:
    await upgrade_async("recon_reporting", postgres_url)
    return postgres_url


async def test_postgres_ageing_totals_per_currency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    response = await client.get("/api/v1/reports/ageing", auth=basic("vera"))

    report = response.json()
    totals = {item["currency"]: item for item in report["totals"]}
    assert totals["EUR"]["amount"] == "1000.35"
    assert totals["USD"]["amount"] == "10.20"
    [eur] = [row for row in report["rows"] if row["currency"] == "EUR"]
    bands = {item["band"]: item["amount"] for item in eur["bands"]}
    assert bands["0-1d"] == "0.30"
    assert bands["2-7d"] == "0.00"


async def test_postgres_export_streams_batches_and_audits(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    count = BATCH_SIZE + 3
    breaks = [
        open_break(
            f"bulk-{index:05d}",
            reconciliation_id=EUR_RECONCILIATION,
            amount="0.10",
            age_days=index % 45,
        )
        for index in range(count)
    ]
    await feed(app, run_of(breaks))

    response = await client.get("/api/v1/reports/breaks.csv", auth=basic("admin"))

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == count
    assert {row["account"] for row in rows} == {STATEMENT_ACCOUNT}
    assert {row["amount"] for row in rows} == {"0.10"}
    events = [
        event
        for event in await outbox_events(app)
        if event["action"] == "sensitive.read"
    ]
    assert [event["details"]["record_count"] for event in events] == [
        str(BATCH_SIZE),
        "3",
    ]


async def test_postgres_match_rate_counts_outcomes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    scenario = outcome_run(date(2026, 11, 20))
    await feed(app, scenario.run)
    await feed(app, scenario.write_off)

    response = await client.get("/api/v1/reports/match-rate", auth=basic("vera"))

    [row] = response.json()["rows"]
    assert row["transactions"] == 13
    assert row["auto_matched"] == 6
    assert row["manually_matched"] == 2
    assert row["written_off"] == 1
