"""Tests for the server-rendered pages and their number formatting."""

from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from recon_reporting.pages.templating import format_money

from tests.reporting.conftest import feed, login
from tests.reporting.factory import build_day


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
