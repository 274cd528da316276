"""The pending requests that a re-run plan lists, and the ones its apply withdraws.

A dry re-run computes the same plan as an applied one. These tests check that the
plan names each pending write-off or force-close request that applying would
withdraw, with the group that would hold its item, that planning changes nothing,
and that the applied re-run withdraws exactly those requests.
"""

import uuid
from datetime import UTC, date, datetime

import httpx
from fastapi import FastAPI
from matcher_action_factories import (
    RECONCILIATION_ID,
    feed,
    headers,
    item,
    ledger,
    outbox,
    with_tolerance,
)
from recon_common.db import session_scope
from recon_matcher.actions.schemas import PlannedWithdrawal
from recon_matcher.models import ApprovalRecord, MatchGroupItem
from recon_matcher.reconciliation import rerun
from sqlalchemy import select

RERUN = f"/v1/reconciliations/{RECONCILIATION_ID}/rerun"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


async def request_close(
    client: httpx.AsyncClient, token: str, transaction_id: str, action: str
) -> str:
    response = await client.post(
        f"/v1/breaks/{transaction_id}/close-requests",
        json={"action": action, "reason": "no counterpart expected"},
        headers=headers(token, "otto"),
    )
    assert response.status_code == 201, response.text
    approval_id: str = response.json()["approval_id"]
    return approval_id


async def add_legacy_request(app: FastAPI, transaction_id: str) -> str:
    """Store a pending request on a grouped item, as earlier matcher versions left."""
    approval_id = str(uuid.uuid4())
    async with session_scope(app.state.runtime.sessions) as session:
        session.add(
            ApprovalRecord(
                approval_id=approval_id,
                transaction_id=transaction_id,
                action="write_off",
                reason="bank fee, below threshold",
                state="pending",
                requested_by="otto",
                requested_at=datetime.now(UTC),
            )
        )
    return approval_id


async def planned(app: FastAPI) -> list[PlannedWithdrawal]:
    """Return the withdrawals that a November re-run would make, writing nothing."""
    async with session_scope(app.state.runtime.sessions) as session:
        plan, _ = await rerun.plan_rerun(
            session,
            definition=app.state.definitions[0],
            start=date(2026, 11, 1),
            end=date(2026, 11, 30),
        )
        return plan.withdrawals


async def approval_states(app: FastAPI) -> dict[str, tuple[str, str | None]]:
    """Return the state and decision note of every request by approval id."""
    async with session_scope(app.state.runtime.sessions) as session:
        rows = await session.scalars(select(ApprovalRecord))
        return {row.approval_id: (row.state, row.decision_note) for row in rows}


async def group_of(app: FastAPI, transaction_id: str) -> str | None:
    async with session_scope(app.state.runtime.sessions) as session:
        found = await session.get(MatchGroupItem, transaction_id)
        return None if found is None else found.group_id


async def test_dry_rerun_lists_request_to_withdraw(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    # s1 and l1 are 5.00 apart: outside the tolerance of 1.00 that the first run uses.
    await feed(app, "statement-1", [item("s1", "100.00"), item("s2", "250.00")])
    await feed(app, "ledger-2", [ledger("l1", "105.00")])
    grouped_request = await request_close(client, service_token, "s1", "force_close")
    await request_close(client, service_token, "s2", "write_off")
    app.state.definitions = [with_tolerance("10.00")]
    before = (await approval_states(app), await outbox(app))

    found = await planned(app)
    dry = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "true"}, headers=headers(service_token)
    )

    assert dry.status_code == 200, dry.text
    formed = dry.json()["groups_formed"]
    assert len(formed) == 1
    assert found == [
        PlannedWithdrawal(
            approval_id=grouped_request,
            transaction_id="s1",
            action="force_close",
            group_id=formed[0]["group_id"],
        )
    ]
    assert dry.json()["withdrawn_requests"] == [entry.model_dump() for entry in found]
    assert (await approval_states(app), await outbox(app)) == before
    assert await group_of(app, "s1") is None


async def test_applied_rerun_withdraws_planned_requests(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(
        app,
        "statement-1",
        [item("s1", "100.00"), item("s2", "250.00"), item("s3", "200.00")],
    )
    await feed(app, "ledger-2", [ledger("l1", "105.00"), ledger("l3", "204.00")])
    await request_close(client, service_token, "s1", "force_close")
    untouched = await request_close(client, service_token, "s2", "write_off")
    await request_close(client, service_token, "l3", "write_off")
    app.state.definitions = [with_tolerance("10.00")]
    found = await planned(app)

    applied = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "false"}, headers=headers(service_token)
    )

    assert applied.status_code == 200, applied.text
    assert [entry.transaction_id for entry in found] == ["l3", "s1"]
    after = await approval_states(app)
    withdrawn = {key for key, (state, _) in after.items() if state == "withdrawn"}
    assert withdrawn == {entry.approval_id for entry in found}
    for entry in found:
        assert after[entry.approval_id][1] == (
            f"the item was matched in group {entry.group_id}"
        )
        assert await group_of(app, entry.transaction_id) == entry.group_id
    assert after[untouched][0] == "pending"


async def test_plan_lists_request_of_kept_group(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00", reference="INV-1")])
    await feed(app, "ledger-2", [ledger("l1", "100.00", reference="INV-1")])
    approval_id = await add_legacy_request(app, "s1")
    group_id = await group_of(app, "s1")

    found = await planned(app)
    applied = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "false"}, headers=headers(service_token)
    )

    assert applied.json()["groups_kept"] == 1
    assert found == [
        PlannedWithdrawal(
            approval_id=approval_id,
            transaction_id="s1",
            action="write_off",
            group_id=str(group_id),
        )
    ]
    assert (await approval_states(app))[approval_id] == (
        "withdrawn",
        f"the item was matched in group {group_id}",
    )


async def test_plan_skips_request_of_dissolved_group(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    # 0.50 apart: proposed under the tolerance of 1.00, no group under 0.10.
    await feed(app, "statement-1", [item("s1", "100.00")])
    await feed(app, "ledger-2", [ledger("l1", "100.50")])
    approval_id = await add_legacy_request(app, "s1")
    app.state.definitions = [with_tolerance("0.10")]

    found = await planned(app)
    applied = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "false"}, headers=headers(service_token)
    )

    assert found == []
    assert len(applied.json()["dissolved_group_ids"]) == 1
    assert (await approval_states(app))[approval_id] == ("pending", None)
    assert await group_of(app, "s1") is None
