"""Close requests, assigns and group comments that race another user's action.

Each race sends two HTTP calls to the app with `asyncio.gather`, held at a barrier
(see `race_helpers`) until both have read the same break or group. Where the order
of the two writes decides the outcome, the call that should lose waits a moment
after the barrier, so on SQLite the other call usually commits first.
"""

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from matcher_action_factories import DAY, feed, headers, item, ledger, outbox
from race_helpers import (
    ROUNDS,
    WRITE_DELAY_SECONDS,
    hold_at_barrier,
    proposed_groups,
    request_write_off,
    stored_break,
)
from recon_common.db import session_scope
from recon_matcher.actions import breaks, matches
from recon_matcher.models import ApprovalRecord, CommentRecord
from sqlalchemy import func, select


async def audited_actions(app: FastAPI, resource_id: str) -> list[str]:
    """Return the successful audited actions on `resource_id`, oldest first."""
    return [
        body["data"]["action"]
        for body in await outbox(app)
        if body["type"] == "audit-events"
        and body["data"]["outcome"] == "success"
        and body["data"]["resource_id"] == resource_id
    ]


async def pending_ids(app: FastAPI, transaction_id: str) -> list[str]:
    async with session_scope(app.state.runtime.sessions) as session:
        rows = await session.scalars(
            select(ApprovalRecord.approval_id).where(
                ApprovalRecord.transaction_id == transaction_id,
                ApprovalRecord.state == "pending",
            )
        )
        return list(rows)


async def comment_count(app: FastAPI, group_id: str) -> int:
    async with session_scope(app.state.runtime.sessions) as session:
        found = await session.scalar(
            select(func.count()).where(CommentRecord.target_id == group_id)
        )
        return found or 0


async def test_close_request_race_has_one_winner(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [f"s{round_}" for round_ in range(ROUNDS)]
    await feed(app, "statement-1", [item(tid, "10.00") for tid in ids])
    hold_at_barrier(monkeypatch, breaks, "request_close")

    outcomes = []
    for transaction_id in ids:
        written_off, force_closed = await asyncio.gather(
            client.post(
                f"/v1/breaks/{transaction_id}/close-requests",
                json={"action": "write_off", "reason": "bank fee, below threshold"},
                headers=headers(service_token, "otto"),
            ),
            client.post(
                f"/v1/breaks/{transaction_id}/close-requests",
                json={"action": "force_close", "reason": "duplicate statement line"},
                headers=headers(service_token, "olga"),
            ),
        )
        outcomes.append((written_off, force_closed))

    for transaction_id, (written_off, force_closed) in zip(ids, outcomes, strict=True):
        codes = sorted([written_off.status_code, force_closed.status_code])
        assert codes == [201, 409], (written_off.text, force_closed.text)
        winner = written_off if written_off.status_code == 201 else force_closed
        loser = force_closed if winner is written_off else written_off
        approval_id = winner.json()["approval_id"]
        action = winner.json()["action"]
        assert loser.json()["detail"] == (
            f"the break of transaction {transaction_id!r} already has pending "
            f"request {approval_id} ({action}); approve or reject it first"
        )
        assert await pending_ids(app, transaction_id) == [approval_id]
        assert await audited_actions(app, transaction_id) == [
            f"break.{action}.requested"
        ]


async def test_assign_race_with_approval(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [f"s{round_}" for round_ in range(ROUNDS)]
    await feed(app, "statement-1", [item(tid, "10.00") for tid in ids])
    approval_ids = [await request_write_off(client, service_token, tid) for tid in ids]
    barrier = hold_at_barrier(monkeypatch, breaks, "decide")
    hold_at_barrier(
        monkeypatch, breaks, "assign_break", barrier=barrier, delay=WRITE_DELAY_SECONDS
    )

    outcomes = []
    for transaction_id, approval_id in zip(ids, approval_ids, strict=True):
        assigned, approved = await asyncio.gather(
            client.post(
                f"/v1/breaks/{transaction_id}/assign",
                json={"assignee": "olga"},
                headers=headers(service_token, "olga"),
            ),
            client.post(
                f"/v1/approvals/{approval_id}/approve",
                json={"reason": "checked the fee schedule"},
                headers=headers(service_token, "anna", "approver"),
            ),
        )
        outcomes.append((assigned, approved))

    for transaction_id, (assigned, approved) in zip(ids, outcomes, strict=True):
        assert approved.status_code == 200, approved.text
        assert assigned.status_code in {200, 409}, assigned.text
        found = await stored_break(app, transaction_id)
        assert found is not None
        assert found.state == "written_off"
        audited = await audited_actions(app, transaction_id)
        if assigned.status_code == 409:
            assert assigned.json()["detail"] == (
                f"the break of transaction {transaction_id!r} is written_off; "
                "only an open or assigned break can be changed"
            )
            assert found.assignee is None
            assert audited == [
                "break.write_off.requested",
                "break.write_off.approved",
            ]
        else:
            assert found.assignee == "olga"
            assert audited == [
                "break.write_off.requested",
                "break.assign",
                "break.write_off.approved",
            ]


async def test_group_comment_race_with_unmatch(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group_ids = await proposed_groups(app)
    barrier = hold_at_barrier(monkeypatch, matches, "unmatch")
    hold_at_barrier(
        monkeypatch, breaks, "add_comment", barrier=barrier, delay=WRITE_DELAY_SECONDS
    )

    outcomes = []
    for group_id in group_ids:
        commented, unmatched = await asyncio.gather(
            client.post(
                f"/v1/match-groups/{group_id}/comments",
                json={"body": "asked the correspondent for the advice"},
                headers=headers(service_token, "otto"),
            ),
            client.post(
                f"/v1/match-groups/{group_id}/unmatch",
                json={"reason": "wrong customer"},
                headers=headers(service_token, "olga"),
            ),
        )
        outcomes.append((commented, unmatched))

    for group_id, (commented, unmatched) in zip(group_ids, outcomes, strict=True):
        # A comment that comes after the unmatch finds no live group, as a later
        # request would. One that comes before it stays with the dissolved group.
        assert unmatched.status_code == 200, unmatched.text
        assert commented.status_code in {201, 404}, commented.text
        audited = await audited_actions(app, group_id)
        if commented.status_code == 404:
            assert commented.json()["detail"] == (
                f"match group {group_id!r} not found; it may have been dissolved"
            )
            assert audited == ["match.unmatch"]
            assert await comment_count(app, group_id) == 0
        else:
            assert audited == ["comment.add", "match.unmatch"]
            assert await comment_count(app, group_id) == 1


async def test_close_request_race_with_manual_match(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [f"s{round_}" for round_ in range(ROUNDS)]
    await feed(app, "statement-1", [item(tid, "50.00") for tid in ids])
    # Thirty days apart, outside the definition's date window, so that the
    # engine leaves the items open for the operators to match.
    later = DAY + timedelta(days=30)
    await feed(
        app,
        "ledger-1",
        [ledger(f"l{round_}", "50.00", value_date=later) for round_ in range(ROUNDS)],
    )
    barrier = hold_at_barrier(monkeypatch, breaks, "request_close")
    hold_at_barrier(
        monkeypatch, matches, "store_groups", barrier=barrier, delay=WRITE_DELAY_SECONDS
    )

    outcomes = []
    for round_, transaction_id in enumerate(ids):
        requested, matched = await asyncio.gather(
            client.post(
                f"/v1/breaks/{transaction_id}/close-requests",
                json={"action": "write_off", "reason": "bank fee, below threshold"},
                headers=headers(service_token, "otto"),
            ),
            client.post(
                "/v1/reconciliations/nostro-eur/manual-matches",
                json={
                    "transaction_ids": [transaction_id, f"l{round_}"],
                    "reason": "same customer payment",
                },
                headers=headers(service_token, "olga"),
            ),
        )
        outcomes.append((requested, matched))

    for transaction_id, (requested, matched) in zip(ids, outcomes, strict=True):
        codes = sorted([requested.status_code, matched.status_code])
        assert codes == [201, 409], (requested.text, matched.text)
        found = await stored_break(app, transaction_id)
        assert found is not None
        pending = await pending_ids(app, transaction_id)
        if requested.status_code == 201:
            approval_id = requested.json()["approval_id"]
            assert matched.json()["detail"] == (
                f"transaction {transaction_id!r} has pending request "
                f"{approval_id} (write_off); reject it before matching the item"
            )
            assert found.state == "open"
            assert pending == [approval_id]
        else:
            assert requested.json()["detail"] == (
                f"the break of transaction {transaction_id!r} is closed; only an "
                "open or assigned break can be changed"
            )
            assert found.state == "closed"
            assert pending == []
