"""Two users acting on the same request or items at the same moment.

Each race sends two HTTP calls to the app with `asyncio.gather`, held at a barrier
(see `race_helpers`) until both have read the same rows.
"""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from matcher_action_factories import (
    DAY,
    audit_actions,
    feed,
    headers,
    item,
    ledger,
    outbox,
)
from race_helpers import (
    BARRIER_TIMEOUT_SECONDS,
    ROUNDS,
    hold_at_barrier,
    proposed_groups,
    request_write_off,
    stored_approval,
    stored_break,
)
from recon_common.db import session_scope
from recon_matcher.actions import breaks, matches
from recon_matcher.reconciliation import states
from recon_matcher.reconciliation.groups import store_groups


async def test_decide_race_has_one_winner(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [f"s{round_}" for round_ in range(ROUNDS)]
    await feed(app, "statement-1", [item(tid, "10.00") for tid in ids])
    approval_ids = [await request_write_off(client, service_token, tid) for tid in ids]
    hold_at_barrier(monkeypatch, breaks, "decide")

    outcomes = []
    for approval_id in approval_ids:
        approved, rejected = await asyncio.gather(
            client.post(
                f"/v1/approvals/{approval_id}/approve",
                json={"reason": "checked the fee schedule"},
                headers=headers(service_token, "anna", "approver"),
            ),
            client.post(
                f"/v1/approvals/{approval_id}/reject",
                json={"reason": "needs a refund instead"},
                headers=headers(service_token, "bob", "approver"),
            ),
        )
        outcomes.append((approved, rejected))

    decided = [
        body["data"]["resource_id"]
        for body in await outbox(app)
        if body["type"] == "audit-events"
        and body["data"]["outcome"] == "success"
        and body["data"]["action"]
        in {"break.write_off.approved", "break.write_off.rejected"}
    ]
    for transaction_id, approval_id, (approved, rejected) in zip(
        ids, approval_ids, outcomes, strict=True
    ):
        codes = sorted([approved.status_code, rejected.status_code])
        assert codes == [200, 409], (approved.text, rejected.text)
        winner = approved if approved.status_code == 200 else rejected
        loser = rejected if winner is approved else approved
        assert "a decided request cannot change" in loser.json()["detail"]
        stored = await stored_approval(app, approval_id)
        assert stored is not None
        assert stored.state == winner.json()["state"]
        assert stored.decided_by == winner.json()["decided_by"]
        found = await stored_break(app, transaction_id)
        assert found is not None
        expected_break = "written_off" if stored.state == "approved" else "open"
        assert found.state == expected_break
        assert decided.count(transaction_id) == 1
    assert len(decided) == ROUNDS


async def test_manual_match_race_conflicts(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements = [item(f"s{round_}", "50.00") for round_ in range(ROUNDS)]
    # Thirty days apart, outside the definition's date window, so that the
    # engine leaves the items open for the operators to match.
    ledgers = [
        ledger(f"l{round_}-{copy}", "50.00", value_date=DAY + timedelta(days=30))
        for round_ in range(ROUNDS)
        for copy in range(2)
    ]
    await feed(app, "statement-1", statements)
    await feed(app, "ledger-1", ledgers)
    hold_at_barrier(monkeypatch, matches, "store_groups")

    outcomes = []
    for round_ in range(ROUNDS):
        first, second = await asyncio.gather(
            client.post(
                "/v1/reconciliations/nostro-eur/manual-matches",
                json={
                    "transaction_ids": [f"s{round_}", f"l{round_}-0"],
                    "reason": "same customer payment",
                },
                headers=headers(service_token, "otto"),
            ),
            client.post(
                "/v1/reconciliations/nostro-eur/manual-matches",
                json={
                    "transaction_ids": [f"s{round_}", f"l{round_}-1"],
                    "reason": "same customer payment",
                },
                headers=headers(service_token, "olga"),
            ),
        )
        outcomes.append((first, second))

    manual_matches = [
        action
        for action, _, outcome in await audit_actions(app)
        if outcome == "success" and action == "match.manual"
    ]
    for round_, (first, second) in enumerate(outcomes):
        codes = sorted([first.status_code, second.status_code])
        assert codes == [201, 409], (first.text, second.text)
        winner = first if first.status_code == 201 else second
        loser = second if winner is first else first
        assert f"'s{round_}'" in loser.json()["detail"]
        assert "not open" in loser.json()["detail"]
        async with session_scope(app.state.runtime.sessions) as session:
            found = await states.statuses(
                session, [f"s{round_}", f"l{round_}-0", f"l{round_}-1"]
            )
        matched = sorted(winner.json()["group"]["transaction_ids"])
        assert found[matched[0]] == "matched"
        assert found[matched[1]] == "matched"
        left_out = ({f"l{round_}-0", f"l{round_}-1"} - set(matched)).pop()
        assert found[left_out] == "open"
    assert len(manual_matches) == ROUNDS


async def test_manual_match_losing_to_run_conflicts(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await feed(app, "statement-1", [item("s0", "50.00", reference="INV-9")])
    await feed(
        app, "ledger-1", [ledger("l0", "50.00", value_date=DAY + timedelta(days=30))]
    )
    original = store_groups

    async def run_first(*args: Any, **kwargs: Any) -> Any:
        # A run takes no lock on the transactions, so it matches s0 and commits
        # while the manual match holds them, after the manual match's checks.
        await asyncio.wait_for(
            feed(app, "ledger-2", [ledger("l1", "50.00", reference="INV-9")]),
            BARRIER_TIMEOUT_SECONDS * 10,
        )
        return await original(*args, **kwargs)

    monkeypatch.setattr(matches, "store_groups", run_first)

    response = await client.post(
        "/v1/reconciliations/nostro-eur/manual-matches",
        json={"transaction_ids": ["s0", "l0"], "reason": "same customer payment"},
        headers=headers(service_token, "otto"),
    )

    assert response.status_code == 409, response.text
    assert response.json()["detail"] == (
        "transaction 's0' is matched, not open; unmatch its group or reject the "
        "proposal first"
    )
    async with session_scope(app.state.runtime.sessions) as session:
        found = await states.statuses(session, ["s0", "l0", "l1"])
    assert found["l0"] == "open"
    assert found["l1"] == "matched"


async def test_confirm_reject_race_has_one_winner(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group_ids = await proposed_groups(app)
    hold_at_barrier(monkeypatch, matches, "confirm_group", "reject_group")

    outcomes = []
    for group_id in group_ids:
        confirmed, rejected = await asyncio.gather(
            client.post(
                f"/v1/match-groups/{group_id}/confirm",
                json={},
                headers=headers(service_token, "otto"),
            ),
            client.post(
                f"/v1/match-groups/{group_id}/reject",
                json={"reason": "different invoices"},
                headers=headers(service_token, "olga"),
            ),
        )
        outcomes.append((confirmed, rejected))

    reviews = [
        action
        for action, _, outcome in await audit_actions(app)
        if outcome == "success" and action in {"match.confirm", "match.reject"}
    ]
    for round_, (confirmed, rejected) in enumerate(outcomes):
        # The loser gets what a later request gets: a confirmed group is no
        # proposal to reject (409), and a rejected one is no live group (404).
        codes = (confirmed.status_code, rejected.status_code)
        assert codes in {(200, 409), (404, 200)}, (confirmed.text, rejected.text)
        async with session_scope(app.state.runtime.sessions) as session:
            found = await states.statuses(session, [f"s{round_}", f"l{round_}"])
        expected = "matched" if confirmed.status_code == 200 else "open"
        assert found[f"s{round_}"] == expected
        assert found[f"l{round_}"] == expected
    assert len(reviews) == ROUNDS


async def test_unmatch_race_has_one_winner(
    app: FastAPI,
    client: httpx.AsyncClient,
    service_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group_ids = await proposed_groups(app)
    hold_at_barrier(monkeypatch, matches, "unmatch")

    outcomes = []
    for group_id in group_ids:
        outcomes.append(
            await asyncio.gather(
                *(
                    client.post(
                        f"/v1/match-groups/{group_id}/unmatch",
                        json={"reason": "wrong customer"},
                        headers=headers(service_token, user),
                    )
                    for user in ("otto", "olga")
                )
            )
        )

    unmatched = [
        action
        for action, _, outcome in await audit_actions(app)
        if outcome == "success" and action == "match.unmatch"
    ]
    for round_, (first, second) in enumerate(outcomes):
        # The second unmatch finds no live group, as a later request would.
        codes = sorted([first.status_code, second.status_code])
        assert codes == [200, 404], (first.text, second.text)
        async with session_scope(app.state.runtime.sessions) as session:
            found = await states.statuses(session, [f"s{round_}", f"l{round_}"])
        assert found[f"s{round_}"] == "open"
        assert found[f"l{round_}"] == "open"
    assert len(unmatched) == ROUNDS
