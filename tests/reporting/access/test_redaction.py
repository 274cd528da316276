"""Tests for redaction by role and the audit of unredacted reads."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from recon_reporting.access.redaction import redact

from tests.reporting.conftest import basic, feed, login, outbox_events
from tests.reporting.factory import (
    COUNTERPARTY_ACCOUNT,
    STATEMENT_ACCOUNT,
    build_day,
)


async def sensitive_reads(app: FastAPI) -> list[dict[str, Any]]:
    """Return the outbox's audit events other than the Basic sign-in's `login`."""
    return [event for event in await outbox_events(app) if event["action"] != "login"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("DE89370400440532013000", "••••3000"),
        ("DE89 3704 0044 0532 0130 00", "••••3000"),
        ("1234", "••••"),
        ("", "••••"),
    ],
)
def test_redact_cases(value: str, expected: str) -> None:
    assert redact(value, visible_chars=4) == expected


@pytest.mark.parametrize("username", ["vera", "otto"])
async def test_transaction_redacted_for_role(
    app: FastAPI, client: httpx.AsyncClient, username: str
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/transactions/stmt-000", auth=basic(username))

    body = response.json()
    assert body["account"] == "••••3000"
    assert body["counterparty_account"] == "••••6819"
    assert body["redacted"] is True
    assert await sensitive_reads(app) == []


@pytest.mark.parametrize("username", ["aud", "admin"])
async def test_transaction_unredacted_for_role_is_audited(
    app: FastAPI, client: httpx.AsyncClient, username: str
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/transactions/stmt-000", auth=basic(username))

    body = response.json()
    assert body["account"] == STATEMENT_ACCOUNT
    assert body["counterparty_account"] == COUNTERPARTY_ACCOUNT
    [event] = await sensitive_reads(app)
    assert event["action"] == "sensitive.read"
    assert event["actor"] == username
    assert event["resource_id"] == "/api/v1/transactions/stmt-000"
    assert event["details"]["record_ids"] == "stmt-000"
    assert event["details"]["fields"] == "account,counterparty_account"


async def test_breaks_page_unredacted_read_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day(statements=6, matched_pairs=4).payload)
    await login(client, "aud")

    response = await client.get("/breaks")

    assert STATEMENT_ACCOUNT in response.text
    actions = [event["action"] for event in await outbox_events(app)]
    assert actions == ["login", "sensitive.read"]


async def test_reconciliation_page_redacted_for_viewer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day(statements=6, matched_pairs=4).payload)
    await login(client, "vera")

    response = await client.get("/reconciliations/rec-eur-nostro")

    assert response.status_code == 200
    assert STATEMENT_ACCOUNT not in response.text
    assert "••••3000" in response.text
    assert "1,000.50" in response.text


async def test_match_group_detail_unredacted_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/match-groups/group-001", auth=basic("admin"))

    body = response.json()
    assert [item["transaction_id"] for item in body["items"]] == [
        "stmt-001",
        "ledger-001",
    ]
    [event] = await sensitive_reads(app)
    assert event["details"]["record_ids"] == "ledger-001,stmt-001"
