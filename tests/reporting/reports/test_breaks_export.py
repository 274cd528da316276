"""Tests for the open break CSV export: columns, redaction, audit, escaping, filters."""

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from recon_reporting.reports.export import BATCH_SIZE, CSV_COLUMNS, escape_cell

from tests.reporting.conftest import basic, feed, login, outbox_events
from tests.reporting.factory import STATEMENT_ACCOUNT
from tests.reporting.reports.scenarios import (
    EUR_RECONCILIATION,
    USD_RECONCILIATION,
    ageing_breaks,
    open_break,
    run_of,
)

EXPORT = "/api/v1/reports/breaks.csv"


def parse_csv(response: httpx.Response) -> list[dict[str, str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


async def export(
    client: httpx.AsyncClient, username: str = "vera", **params: str
) -> httpx.Response:
    response = await client.get(EXPORT, params=params, auth=basic(username))
    assert response.status_code == 200, response.text
    return response


async def sensitive_reads(app: FastAPI) -> list[dict[str, Any]]:
    return [
        event
        for event in await outbox_events(app)
        if event["action"] == "sensitive.read"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1+2", "'+1+2"),
        ("-3+4", "'-3+4"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("DE89370400440532013000", "DE89370400440532013000"),
        ("", ""),
    ],
)
def test_escape_cell_cases(value: str, expected: str) -> None:
    assert escape_cell(value) == expected


async def test_export_columns_and_values(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    response = await export(client)

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = parse_csv(response)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 6
    by_id = {row["transaction_id"]: row for row in rows}
    month = by_id["eur-month"]
    assert month["reconciliation_id"] == EUR_RECONCILIATION
    assert month["side"] == "statement"
    assert month["currency"] == "EUR"
    assert month["amount"] == "1000.05"
    assert month["direction"] == "credit"
    assert month["age_days"] == "10"
    assert month["age_band"] == "8-30d"
    assert month["reason"] == "no_counterpart"
    assert month["state"] == "open"
    assert month["assignee"] == ""


async def test_export_oldest_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    await feed(app, run_of(ageing_breaks()))

    rows = parse_csv(await export(client))

    ages = [int(row["age_days"]) for row in rows]
    assert ages == sorted(ages, reverse=True)


@pytest.mark.parametrize("username", ["vera", "otto"])
async def test_export_redacted_for_role(
    app: FastAPI, client: httpx.AsyncClient, username: str
) -> None:
    await feed(app, run_of(ageing_breaks()))

    response = await export(client, username)

    accounts = {row["account"] for row in parse_csv(response)}
    assert accounts == {"••••3000"}
    assert STATEMENT_ACCOUNT not in response.text
    assert await sensitive_reads(app) == []


@pytest.mark.parametrize("username", ["aud", "admin"])
async def test_export_unredacted_for_role_is_audited(
    app: FastAPI, client: httpx.AsyncClient, username: str
) -> None:
    await feed(app, run_of(ageing_breaks()))

    response = await export(client, username, reconciliation_id=USD_RECONCILIATION)

    accounts = {row["account"] for row in parse_csv(response)}
    assert accounts == {STATEMENT_ACCOUNT}
    [event] = await sensitive_reads(app)
    assert event["actor"] == username
    assert event["resource_type"] == "break"
    assert event["resource_id"] == f"{EXPORT}?reconciliation_id={USD_RECONCILIATION}"
    assert event["details"]["record_ids"] == "usd-old,usd-week"
    assert event["details"]["record_count"] == "2"
    assert event["details"]["fields"] == "account"
    assert event["details"]["client_address"] == "127.0.0.1"


async def test_export_audits_each_batch(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    count = BATCH_SIZE * 2 + 7
    breaks = [
        open_break(
            f"bulk-{index:05d}",
            reconciliation_id=EUR_RECONCILIATION,
            amount="1.00",
            age_days=3,
        )
        for index in range(count)
    ]
    await feed(app, run_of(breaks))

    rows = parse_csv(await export(client, "aud"))

    assert len(rows) == count
    events = await sensitive_reads(app)
    assert [event["details"]["record_count"] for event in events] == [
        str(BATCH_SIZE),
        str(BATCH_SIZE),
        "7",
    ]
    audited = {
        record_id
        for event in events
        for record_id in event["details"]["record_ids"].split(",")
    }
    assert audited == {row["transaction_id"] for row in rows}


async def test_export_escapes_formula_cells(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    entry = open_break(
        "=1+2",
        reconciliation_id=EUR_RECONCILIATION,
        amount="-12.50",
        age_days=3,
        side="+side",
        assignee="@otto",
    )
    hostile = entry.transaction.model_copy(
        update={"account": '=HYPERLINK("http://127.0.0.1/x","y")'}
    )
    await feed(app, run_of([entry]).model_copy(update={"transactions": [hostile]}))

    [row] = parse_csv(await export(client, "admin"))

    assert row["transaction_id"] == "'=1+2"
    assert row["side"] == "'+side"
    assert row["assignee"] == "'@otto"
    assert row["account"] == '\'=HYPERLINK("http://127.0.0.1/x","y")'
    assert row["amount"] == "-12.50"


async def test_export_filters_by_reconciliation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    rows = parse_csv(await export(client, reconciliation_id=USD_RECONCILIATION))

    assert {row["transaction_id"] for row in rows} == {"usd-week", "usd-old"}


async def test_export_filters_by_age_band(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    rows = parse_csv(await export(client, age_band="over-30d"))

    assert {row["transaction_id"] for row in rows} == {"eur-rec-usd-old", "usd-old"}
    assert {row["age_band"] for row in rows} == {"over-30d"}


async def test_export_filters_by_account_ending(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    entries = ageing_breaks()
    other = entries[0].transaction.model_copy(update={"account": "GB00OTHER1111"})
    transactions = [other] + [entry.transaction for entry in entries[1:]]
    await feed(app, run_of(entries).model_copy(update={"transactions": transactions}))

    rows = parse_csv(await export(client, account="••••3000"))

    ids = {row["transaction_id"] for row in rows}
    assert len(ids) == 5
    assert "eur-young-1" not in ids


async def test_export_blank_filters_mean_all(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))

    rows = parse_csv(
        await export(client, reconciliation_id="", account="", age_band="")
    )

    assert len(rows) == 6


async def test_export_invalid_age_band_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get(EXPORT, params={"age_band": "old"}, auth=basic("vera"))

    assert response.status_code == 422


async def test_export_withheld_account_digits_rejected(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        EXPORT, params={"account": "••••2013000"}, auth=basic("vera")
    )

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidAccountFilter"


async def test_export_requires_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get(EXPORT)

    assert response.status_code == 401


async def test_breaks_page_links_filtered_export(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, run_of(ageing_breaks()))
    await login(client, "vera")

    page = await client.get(
        "/breaks",
        params={"reconciliation_id": USD_RECONCILIATION, "age_band": "2-7d"},
    )
    download = await client.get(
        f"{EXPORT}?reconciliation_id={USD_RECONCILIATION}&age_band=2-7d"
    )

    expected = (
        f'href="{EXPORT}?reconciliation_id={USD_RECONCILIATION}&amp;age_band=2-7d"'
    )
    assert expected in page.text
    assert download.status_code == 200
    assert [row["transaction_id"] for row in parse_csv(download)] == ["usd-week"]


async def test_reports_page_offers_export_form(client: httpx.AsyncClient) -> None:
    await login(client, "vera")

    response = await client.get("/reports")

    assert response.status_code == 200
    assert f'action="{EXPORT}"' in response.text
    assert 'href="/reports/ageing"' in response.text
    assert 'href="/reports/match-rate"' in response.text
