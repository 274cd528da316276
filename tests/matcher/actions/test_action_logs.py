"""The matcher.log lines of operator actions: the ids to grep for, and no free text.

Comment bodies and request reasons can hold personal data, so the comment and
close request tests check that no logged value contains them.
"""

from collections.abc import MutableMapping
from typing import Any

import httpx
from fastapi import FastAPI
from matcher_action_factories import (
    RECONCILIATION_ID,
    feed,
    headers,
    item,
    ledger,
    with_tolerance,
)
from race_helpers import proposed_groups
from structlog.testing import capture_logs

RERUN = f"/v1/reconciliations/{RECONCILIATION_ID}/rerun"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
COMMENT_BODY = "called Jane Doe at the correspondent about the advice"
CLOSE_REASON = "customer Jane Doe confirmed the fee"


def entries(
    logs: list[MutableMapping[str, Any]], event: str
) -> list[MutableMapping[str, Any]]:
    """Return the captured log entries named `event`."""
    return [entry for entry in logs if entry["event"] == event]


def logged_text(logs: list[MutableMapping[str, Any]]) -> str:
    """Return every captured value as one string, to search for leaked text."""
    return " ".join(str(value) for entry in logs for value in entry.values())


async def request_force_close(client: httpx.AsyncClient, token: str) -> str:
    """Request a force-close of s1 and return its approval id."""
    response = await client.post(
        "/v1/breaks/s1/close-requests",
        json={"action": "force_close", "reason": CLOSE_REASON},
        headers=headers(token, "otto"),
    )
    assert response.status_code == 201, response.text
    approval_id: str = response.json()["approval_id"]
    return approval_id


async def test_applied_rerun_logs_counts(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    # s1 and l1 are 5.00 apart, outside the tolerance of 1.00 that the first run uses,
    # so only the re-run at 10.00 groups them and withdraws the request.
    await feed(app, "statement-1", [item("s1", "100.00")])
    await feed(app, "ledger-2", [ledger("l1", "105.00")])
    await request_force_close(client, service_token)
    app.state.definitions = [with_tolerance("10.00")]

    with capture_logs() as logs:
        response = await client.post(
            RERUN,
            params={**NOVEMBER, "dry_run": "false"},
            headers=headers(service_token, "anna"),
        )

    assert response.status_code == 200, response.text
    [line] = entries(logs, "matcher.reconciliation.rerun")
    assert line["reconciliation_id"] == RECONCILIATION_ID
    assert line["dry_run"] is False
    assert line["value_date_from"] == "2026-11-01"
    assert line["value_date_to"] == "2026-11-30"
    assert line["items_considered"] == 2
    assert line["groups_formed"] == 1
    assert line["groups_dissolved"] == 0
    assert line["requests_withdrawn"] == 1
    assert line["actor"] == "anna"
    assert line["log_level"] == "info"
    assert len(entries(logs, "matcher.approval.withdrawn")) == 1


async def test_dry_rerun_logs_dry_run_flag(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])
    await feed(app, "ledger-2", [ledger("l1", "105.00")])
    await request_force_close(client, service_token)
    app.state.definitions = [with_tolerance("10.00")]

    with capture_logs() as logs:
        response = await client.post(
            RERUN,
            params={**NOVEMBER, "dry_run": "true"},
            headers=headers(service_token, "anna"),
        )

    assert response.status_code == 200, response.text
    [line] = entries(logs, "matcher.reconciliation.rerun")
    assert line["dry_run"] is True
    assert line["groups_formed"] == 1
    assert line["requests_withdrawn"] == 1
    assert entries(logs, "matcher.approval.withdrawn") == []


async def test_assign_logs_ids(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])
    await client.post(
        "/v1/breaks/s1/assign",
        json={"assignee": "olga"},
        headers=headers(service_token, "otto"),
    )

    with capture_logs() as logs:
        response = await client.post(
            "/v1/breaks/s1/assign",
            json={"assignee": "anna"},
            headers=headers(service_token, "otto"),
        )

    assert response.status_code == 200, response.text
    [line] = entries(logs, "matcher.break.assigned")
    assert line["transaction_id"] == "s1"
    assert line["assignee"] == "anna"
    assert line["previous_assignee"] == "olga"
    assert line["actor"] == "otto"


async def test_assign_of_ended_break_logs_conflict(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])

    with capture_logs() as logs:
        response = await client.post(
            "/v1/breaks/s1/assign",
            json={"assignee": "anna"},
            headers=headers(service_token, "otto"),
        )

    assert response.status_code == 409, response.text
    [line] = entries(logs, "matcher.break.claim_conflict")
    assert line["transaction_id"] == "s1"
    assert line["state"] == "closed"
    assert entries(logs, "matcher.break.assigned") == []


async def test_comment_log_omits_body(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])

    with capture_logs() as logs:
        response = await client.post(
            "/v1/breaks/s1/comments",
            json={"body": COMMENT_BODY},
            headers=headers(service_token, "otto"),
        )

    assert response.status_code == 201, response.text
    [line] = entries(logs, "matcher.comment.added")
    assert line["comment_id"] == response.json()["comment_id"]
    assert line["target_type"] == "break"
    assert line["target_id"] == "s1"
    assert line["actor"] == "otto"
    assert "Jane Doe" not in logged_text(logs)


async def test_close_request_log_omits_reason(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])

    with capture_logs() as logs:
        approval_id = await request_force_close(client, service_token)

    [line] = entries(logs, "matcher.approval.requested")
    assert line["approval_id"] == approval_id
    assert line["transaction_id"] == "s1"
    assert line["action"] == "force_close"
    assert line["actor"] == "otto"
    assert "Jane Doe" not in logged_text(logs)


async def test_confirm_logs_group(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    [group_id, *_] = await proposed_groups(app)

    with capture_logs() as logs:
        response = await client.post(
            f"/v1/match-groups/{group_id}/confirm",
            json={},
            headers=headers(service_token, "olga"),
        )

    assert response.status_code == 200, response.text
    [line] = entries(logs, "matcher.group.confirmed")
    assert line["group_id"] == group_id
    assert line["items"] == 2
    assert line["actor"] == "olga"
