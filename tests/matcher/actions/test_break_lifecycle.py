"""Break records across files, and the four-eyes write-off."""

import httpx
from fastapi import FastAPI
from matcher_action_factories import (
    audit_actions,
    feed,
    headers,
    item,
    ledger,
    outbox,
)
from recon_common.db import session_scope
from recon_matcher.models import BreakRecord
from recon_matcher.reconciliation import states


async def break_of(app: FastAPI, transaction_id: str) -> BreakRecord | None:
    async with session_scope(app.state.runtime.sessions) as session:
        return await session.get(BreakRecord, transaction_id)


async def status_of(app: FastAPI, transaction_id: str) -> str:
    async with session_scope(app.state.runtime.sessions) as session:
        found = await states.statuses(session, [transaction_id])
        return found[transaction_id]


async def test_break_opened_for_unmatched_item(app: FastAPI) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])

    found = await break_of(app, "s1")

    assert found is not None
    assert found.state == "open"
    assert found.reason == "no_counterpart"
    assert found.age_basis == "value_date"
    assert found.amount_band == "under_1k"


async def test_late_ledger_item_closes_old_break(app: FastAPI) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])

    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])

    closed = await break_of(app, "s1")
    assert closed is not None
    assert closed.state == "closed"
    assert await status_of(app, "s1") == "matched"
    last = [body for body in await outbox(app) if body["type"] == "matches-produced"]
    assert last[-1]["data"]["closed_break_ids"] == ["s1"]


async def test_write_off_needs_second_user(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    requested = await client.post(
        "/v1/breaks/s1/close-requests",
        json={"action": "write_off", "reason": "bank fee, below threshold"},
        headers=headers(service_token, "otto"),
    )
    approval_id = requested.json()["approval_id"]

    own = await client.post(
        f"/v1/approvals/{approval_id}/approve",
        json={},
        headers=headers(service_token, "otto", "approver"),
    )
    other = await client.post(
        f"/v1/approvals/{approval_id}/approve",
        json={"reason": "checked the fee schedule"},
        headers=headers(service_token, "anna", "approver"),
    )

    assert requested.status_code == 201
    assert own.status_code == 403
    assert "different user must approve" in own.json()["detail"]
    assert other.status_code == 200
    assert other.json()["state"] == "approved"
    written_off = await break_of(app, "s1")
    assert written_off is not None
    assert written_off.state == "written_off"
    assert await status_of(app, "s1") == "written_off"
    assert await audit_actions(app) == [
        ("break.write_off.requested", "otto", "success"),
        ("break.write_off.approve", "otto", "failure"),
        ("break.write_off.approved", "anna", "success"),
    ]


async def test_rejected_request_keeps_break_open(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])
    requested = await client.post(
        "/v1/breaks/s1/close-requests",
        json={"action": "force_close", "reason": "duplicate statement line"},
        headers=headers(service_token, "otto"),
    )

    rejected = await client.post(
        f"/v1/approvals/{requested.json()['approval_id']}/reject",
        json={"reason": "not a duplicate"},
        headers=headers(service_token, "anna", "approver"),
    )

    assert rejected.json()["state"] == "rejected"
    still_open = await break_of(app, "s1")
    assert still_open is not None
    assert still_open.state == "open"


async def test_assign_and_comment_break(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])

    assigned = await client.post(
        "/v1/breaks/s1/assign",
        json={"assignee": "anna"},
        headers=headers(service_token),
    )
    commented = await client.post(
        "/v1/breaks/s1/comments",
        json={"body": "asked the correspondent for the advice"},
        headers=headers(service_token),
    )

    assert assigned.json()["state"] == "assigned"
    assert assigned.json()["assignee"] == "anna"
    assert commented.status_code == 201
    messages = [b["data"] for b in await outbox(app) if b["type"] == "matches-produced"]
    assert messages[-2]["updated_breaks"][0]["assignee"] == "anna"
    assert (
        messages[-1]["comments"][0]["body"] == "asked the correspondent for the advice"
    )
    assert messages[-1]["actor"] == "otto"
    assert [action for action, _, _ in await audit_actions(app)] == [
        "break.assign",
        "comment.add",
    ]


async def test_action_without_token_rejected(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])

    response = await client.post(
        "/v1/breaks/s1/assign",
        json={"assignee": "anna"},
        headers=headers("wrong-token"),
    )

    assert response.status_code == 401
    assert response.json()["error"] == "InvalidServiceToken"


async def test_viewer_role_forbidden(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])

    response = await client.post(
        "/v1/breaks/s1/assign",
        json={"assignee": "anna"},
        headers=headers(service_token, "vera", "viewer"),
    )

    assert response.status_code == 403


async def test_manual_match_refused_while_request_pending(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    await feed(app, "ledger-2", [ledger("l1", "130.00", reference="INV-2")])
    requested = await client.post(
        "/v1/breaks/s1/close-requests",
        json={"action": "write_off", "reason": "bank fee, below threshold"},
        headers=headers(service_token, "otto"),
    )
    approval_id = requested.json()["approval_id"]

    matched = await client.post(
        "/v1/reconciliations/nostro-eur/manual-matches",
        json={
            "transaction_ids": ["s1", "l1"],
            "reason": "fee booked late",
            "force": True,
        },
        headers=headers(service_token, "anna"),
    )

    assert matched.status_code == 409
    assert matched.json()["detail"] == (
        f"transaction 's1' has pending request {approval_id} (write_off); "
        "reject it before matching the item"
    )
    assert await status_of(app, "s1") == "open"
    assert await status_of(app, "l1") == "open"
