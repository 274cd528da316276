"""Tests for the server-rendered pages and their number formatting."""

from datetime import date
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from recon_common.events import RecordKind
from recon_reporting.pages.templating import format_money

from tests.reporting.conftest import basic, feed, login
from tests.reporting.factory import (
    DEFINITION_VERSION,
    RECONCILIATION_ID,
    Day,
    build_day,
    transaction,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "EUR", "1,234.50"),
        (Decimal("1234"), "JPY", "1,234"),
        (Decimal("12.345"), "KWD", "12.345"),
        (Decimal("12.345"), "EUR", "12.345"),
        (Decimal("-0.1"), "USD", "-0.10"),
        (Decimal("5"), "??", "5"),
    ],
)
def test_format_money_cases(amount: Decimal, currency: str, expected: str) -> None:
    assert format_money(amount, currency) == expected


async def test_dashboard_lists_reconciliation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/")

    assert response.status_code == 200
    assert 'href="/reconciliations/rec-eur-nostro"' in response.text
    assert "content-security-policy" in response.headers


async def test_unknown_reconciliation_page_is_html_404(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "vera")

    response = await client.get(
        "/reconciliations/nope", headers={"Accept": "text/html"}
    )

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "reconciliation &#39;nope&#39; not found" in response.text


async def test_transactions_page_invalid_status_rejected(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "vera")

    response = await client.get("/transactions", params={"status": "bogus"})

    assert response.status_code == 422


async def test_breaks_page_shows_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/breaks")

    assert response.status_code == 200
    assert '<th scope="col">Reason</th>' in response.text
    assert "no counterpart" in response.text


async def test_dashboard_links_unassigned_transactions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day()
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
    await login(client, "vera")

    response = await client.get("/")

    assert 'href="/transactions?status=unassigned"' in response.text
    assert "1 transaction not in any reconciliation" in response.text
    assert "add a definition that selects their account" in response.text


async def test_dashboard_intraday_not_called_unassigned(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day()
    intraday = transaction(
        "stmt-intraday",
        kind=RecordKind.STATEMENT,
        amount="12.00",
        value_date=date(2026, 12, 1),
    ).model_copy(update={"source_format": "mt942"})
    payload = day.payload.model_copy(
        update={"transactions": [*day.payload.transactions, intraday]}
    )
    await feed(app, payload)
    await login(client, "vera")

    response = await client.get("/")

    assert 'id="unassigned-transactions"' not in response.text
    assert 'id="intraday-transactions"' in response.text
    assert "1 intraday entry (MT942, camt.052) kept but not reconciled" in (
        response.text
    )


async def test_dashboard_hides_unassigned_notice_when_none(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/")

    assert 'id="unassigned-transactions"' not in response.text


async def test_reconciliations_page_redirects_to_dashboard(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "vera")

    response = await client.get(
        "/reconciliations", headers={"Accept": "text/html"}, follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_unknown_page_is_html_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no page or API route at /no-such-page" in response.text


async def test_unknown_api_route_is_error_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/no-such-route", auth=basic("vera"))

    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"
    assert response.json()["detail"] == "no page or API route at /api/v1/no-such-route"


async def test_group_page_shows_both_references(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=2, matched_pairs=1)
    with_customer_reference = [
        row.model_copy(update={"customer_reference": f"INV-{row.transaction_id}"})
        for row in day.payload.transactions
    ]
    await feed(
        app, day.payload.model_copy(update={"transactions": with_customer_reference})
    )
    await login(client, "vera")

    response = await client.get("/match-groups/group-000")

    assert '<td class="bank-reference">REF-stmt-000</td>' in response.text
    assert '<td class="customer-reference">INV-stmt-000</td>' in response.text
    assert '<td class="customer-reference">INV-ledger-000</td>' in response.text


async def test_group_page_shows_definition_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=4, matched_pairs=2)
    await feed(app, day.payload)
    await login(client, "vera")

    response = await client.get("/match-groups/group-000")

    expected = f'<dd id="group-definition-version">{DEFINITION_VERSION}</dd>'
    assert expected in response.text


def day_with_difference(difference: str, *, ledger_currency: str = "EUR") -> Day:
    """Return a day with one group of `difference` and a ledger line in a currency."""
    day = build_day(statements=2, matched_pairs=1)
    groups = [
        day.payload.groups[0].model_copy(
            update={"amount_difference": Decimal(difference)}
        )
    ]
    transactions = [
        row.model_copy(update={"currency": ledger_currency})
        if row.transaction_id == "ledger-000"
        else row
        for row in day.payload.transactions
    ]
    day.payload = day.payload.model_copy(
        update={"groups": groups, "transactions": transactions}
    )
    return day


async def test_group_page_difference_has_currency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, day_with_difference("1234.5").payload)
    await login(client, "vera")

    response = await client.get("/match-groups/group-000")

    assert '<dd id="group-difference">1,234.50 EUR</dd>' in response.text


async def test_group_page_difference_mixed_currencies(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, day_with_difference("1234.5", ledger_currency="USD").payload)
    await login(client, "vera")

    response = await client.get("/match-groups/group-000")

    assert '<dd id="group-difference">1,234.5</dd>' in response.text


async def test_reconciliation_caption_difference_has_currency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, day_with_difference("1234.5").payload)
    await login(client, "vera")

    response = await client.get(f"/reconciliations/{RECONCILIATION_ID}")

    assert "· difference 1,234.50 EUR\n" in response.text
