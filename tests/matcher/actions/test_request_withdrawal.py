"""Pending write-off and force-close requests that a matching run withdraws."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from matcher_action_factories import (
    RECONCILIATION_ID,
    definition,
    feed,
    headers,
    item,
    ledger,
    outbox,
)
from recon_common.db import session_scope
from recon_matcher.definitions import Definition, TolerancePass
from recon_matcher.models import ApprovalRecord, MatchGroupItem
from recon_matcher.reconciliation import states


async def request_close(
    client: httpx.AsyncClient, token: str, transaction_id: str, action: str
) -> str:
    response = await client.post(
        f"/v1/breaks/{transaction_id}/close-requests",
        json={"action": action, "reason": "no counterpart expected"},
        headers=headers(token, "otto"),
    )
    assert response.status_code == 201
    approval_id: str = response.json()["approval_id"]
    return approval_id


async def approval(app: FastAPI, approval_id: str) -> ApprovalRecord:
    async with session_scope(app.state.runtime.sessions) as session:
        found = await session.get(ApprovalRecord, approval_id)
        assert found is not None
        return found


async def group_of(app: FastAPI, transaction_id: str) -> str:
    async with session_scope(app.state.runtime.sessions) as session:
        found = await session.get(MatchGroupItem, transaction_id)
        assert found is not None
        return found.group_id


async def status_of(app: FastAPI, transaction_id: str) -> str:
    async with session_scope(app.state.runtime.sessions) as session:
        found = await states.statuses(session, [transaction_id])
        return found[transaction_id]


async def messages(app: FastAPI, kind: str) -> list[dict[str, Any]]:
    return [body["data"] for body in await outbox(app) if body["type"] == kind]


def rerun_definition(tolerance: str) -> Definition:
    """Return the test definition with the tolerance pass widened to `tolerance`."""
    base = definition()
    exact, loose = base.passes
    assert isinstance(loose, TolerancePass)
    widened = loose.model_copy(update={"amount_tolerance": Decimal(tolerance)})
    return base.model_copy(update={"passes": [exact, widened]})


async def test_run_withdraws_request_of_matched_item(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    approval_id = await request_close(client, service_token, "s1", "write_off")

    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])

    group_id = await group_of(app, "s1")
    withdrawn = await approval(app, approval_id)
    assert withdrawn.state == "withdrawn"
    assert withdrawn.decided_by == "matcher run"
    assert withdrawn.decided_at is not None
    assert withdrawn.decision_note == f"the item was matched in group {group_id}"
    assert await status_of(app, "s1") == "matched"


async def test_run_withdrawal_audited_and_published(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    approval_id = await request_close(client, service_token, "s1", "force_close")

    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])

    group_id = await group_of(app, "s1")
    audits = await messages(app, "audit-events")
    assert [event["action"] for event in audits] == [
        "break.force_close.requested",
        "break.force_close.withdrawn",
    ]
    assert audits[-1]["actor"] == "matcher run"
    assert audits[-1]["resource_id"] == "s1"
    assert audits[-1]["details"]["approval_id"] == approval_id
    assert audits[-1]["details"]["group_id"] == group_id
    assert audits[-1]["details"]["requested_by"] == "otto"
    produced = await messages(app, "matches-produced")
    withdrawals = [
        body for body in produced if body["action"] == "break.force_close.withdrawn"
    ]
    assert len(withdrawals) == 1
    assert withdrawals[0]["actor"] == "matcher run"
    assert withdrawals[0]["closed_break_ids"] == ["s1"]


async def test_run_keeps_request_of_unmatched_item(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(
        app,
        "statement-1",
        [item("s1", "100.00", reference="INV-1"), item("s2", "250.00")],
    )
    approval_id = await request_close(client, service_token, "s2", "write_off")

    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])

    still_pending = await approval(app, approval_id)
    assert still_pending.state == "pending"
    assert still_pending.decided_by is None
    assert await status_of(app, "s2") == "open"


async def test_withdrawn_request_approval_conflict(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    approval_id = await request_close(client, service_token, "s1", "write_off")
    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])
    group_id = await group_of(app, "s1")

    approved = await client.post(
        f"/v1/approvals/{approval_id}/approve",
        json={},
        headers=headers(service_token, "anna", "approver"),
    )
    rejected = await client.post(
        f"/v1/approvals/{approval_id}/reject",
        json={"reason": "the ledger entry arrived"},
        headers=headers(service_token, "anna", "approver"),
    )

    assert approved.status_code == 409
    assert approved.json()["error"] == "StateConflict"
    assert approved.json()["detail"] == (
        f"request {approval_id} is withdrawn: matcher run withdrew it because the "
        f"item was matched in group {group_id}. A withdrawn request cannot be "
        "approved or rejected; if the item is unmatched later, request the "
        "write-off or force-close again"
    )
    assert rejected.status_code == 409
    assert (await approval(app, approval_id)).state == "withdrawn"
    assert await status_of(app, "s1") == "matched"


async def test_withdrawn_requests_listed_by_state(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    approval_id = await request_close(client, service_token, "s1", "write_off")
    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])

    pending = await client.get(
        "/v1/approvals", params={"state": "pending"}, headers=headers(service_token)
    )
    withdrawn = await client.get(
        "/v1/approvals", params={"state": "withdrawn"}, headers=headers(service_token)
    )

    assert pending.json() == []
    assert [entry["approval_id"] for entry in withdrawn.json()] == [approval_id]
    assert withdrawn.json()[0]["decided_by"] == "matcher run"


async def test_rerun_withdraws_request_when_applied(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    # 5.00 apart: outside the tolerance of 1.00 that the first run uses.
    await feed(app, "statement-1", [item("s1", "100.00")])
    await feed(app, "ledger-2", [ledger("l1", "105.00")])
    approval_id = await request_close(client, service_token, "s1", "force_close")
    app.state.definitions = [rerun_definition("10.00")]
    day = {"from": "2026-11-01", "to": "2026-11-03"}

    dry = await client.post(
        f"/v1/reconciliations/{RECONCILIATION_ID}/rerun",
        params={**day, "dry_run": "true"},
        headers=headers(service_token, "anna"),
    )
    after_dry_run = (await approval(app, approval_id)).state
    applied = await client.post(
        f"/v1/reconciliations/{RECONCILIATION_ID}/rerun",
        params={**day, "dry_run": "false"},
        headers=headers(service_token, "anna"),
    )

    assert dry.status_code == 200
    assert len(dry.json()["groups_formed"]) == 1
    assert after_dry_run == "pending"
    assert applied.status_code == 200
    group_id = await group_of(app, "s1")
    withdrawn = await approval(app, approval_id)
    assert withdrawn.state == "withdrawn"
    assert withdrawn.decision_note == f"the item was matched in group {group_id}"
    assert await status_of(app, "s1") == "proposed"
    audits = [event["action"] for event in await messages(app, "audit-events")]
    assert audits == [
        "break.force_close.requested",
        "break.force_close.withdrawn",
        "reconciliation.rerun",
    ]


async def test_legacy_pending_request_on_matched_break(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    # A request that an earlier matcher version left pending after the match.
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])
    approval_id = str(uuid.uuid4())
    async with session_scope(app.state.runtime.sessions) as session:
        session.add(
            ApprovalRecord(
                approval_id=approval_id,
                transaction_id="s1",
                action="write_off",
                reason="bank fee, below threshold",
                state="pending",
                requested_by="otto",
                requested_at=datetime.now(UTC),
            )
        )

    approved = await client.post(
        f"/v1/approvals/{approval_id}/approve",
        json={},
        headers=headers(service_token, "anna", "approver"),
    )
    await feed(app, "statement-3", [item("s3", "300.00")])

    assert approved.status_code == 409
    assert approved.json()["detail"] == (
        f"request {approval_id} cannot be approved: the break of transaction 's1' "
        "is closed since the request was made; reject the request instead"
    )
    withdrawn = await approval(app, approval_id)
    assert withdrawn.state == "withdrawn"
    assert withdrawn.decided_by == "matcher run"
