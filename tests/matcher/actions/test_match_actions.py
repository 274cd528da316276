"""Manual matches, unmatches, proposal review and re-runs over the matcher API."""

import httpx
from fastapi import FastAPI
from matcher_action_factories import (
    RECONCILIATION_ID,
    audit_actions,
    feed,
    headers,
    item,
    ledger,
    outbox,
)
from recon_common.db import session_scope
from recon_common.events import Direction, Transaction
from recon_matcher.models import MatchGroupItem, TransactionRecord
from recon_matcher.reconciliation import states
from sqlalchemy import select

MANUAL = f"/v1/reconciliations/{RECONCILIATION_ID}/manual-matches"
RERUN = f"/v1/reconciliations/{RECONCILIATION_ID}/rerun"


async def statuses(app: FastAPI) -> dict[str, str]:
    async with session_scope(app.state.runtime.sessions) as session:
        ids = await session.scalars(select(TransactionRecord.transaction_id))
        return await states.statuses(session, list(ids))


async def group_items(app: FastAPI) -> dict[str, str]:
    async with session_scope(app.state.runtime.sessions) as session:
        rows = await session.scalars(select(MatchGroupItem))
        return {row.transaction_id: row.group_id for row in rows}


async def proposed_group(app: FastAPI) -> str:
    # 100.00 against 100.60 is inside the 1.00 tolerance but scores below 0.99.
    await feed(app, "file-1", [item("s1", "100.00"), ledger("l1", "100.60")])
    items = await group_items(app)
    return items["s1"]


async def test_manual_match_within_tolerance(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "file-1", [item("s1", "100.00"), ledger("l1", "250.00")])
    await feed(app, "file-2", [ledger("l2", "60.00"), ledger("l3", "39.90")])

    response = await client.post(
        MANUAL,
        json={"transaction_ids": ["s1", "l2", "l3"], "reason": "split booking"},
        headers=headers(service_token),
    )

    assert response.status_code == 201, response.text
    assert response.json()["amount_difference"] == "0.10"
    found = await statuses(app)
    assert found["s1"] == "matched"
    assert found["l3"] == "matched"
    assert ("match.manual", "otto", "success") in await audit_actions(app)


async def test_manual_match_outside_tolerance_rejected(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "file-1", [item("s1", "100.00"), ledger("l1", "250.00")])

    rejected = await client.post(
        MANUAL,
        json={"transaction_ids": ["s1", "l1"], "reason": "same customer"},
        headers=headers(service_token),
    )
    forced = await client.post(
        MANUAL,
        json={
            "transaction_ids": ["s1", "l1"],
            "reason": "fee of 150.00 booked on the ledger side",
            "force": True,
        },
        headers=headers(service_token),
    )

    assert rejected.status_code == 422
    assert rejected.json()["error"] == "OutsideTolerance"
    assert rejected.json()["detail"].startswith(
        "the amounts differ by 150.00 EUR (side A 100.00, side B 250.00), more "
        "than the 1.00 EUR"
    )
    assert forced.status_code == 201
    assert forced.json()["forced"] is True


def debit(transaction_id: str, amount: str) -> Transaction:
    return item(transaction_id, amount).model_copy(
        update={"direction": Direction.DEBIT}
    )


async def test_forced_match_of_one_side_rejected(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "file-1", [item("s1", "100.00"), debit("s2", "40.00")])
    await feed(app, "file-2", [item("s3", "100.00"), debit("s4", "100.00")])

    forced = await client.post(
        MANUAL,
        json={
            "transaction_ids": ["s1", "s2"],
            "reason": "same customer",
            "force": True,
        },
        headers=headers(service_token),
    )
    netted = await client.post(
        MANUAL,
        json={"transaction_ids": ["s3", "s4"], "reason": "booking and reversal"},
        headers=headers(service_token),
    )

    assert forced.status_code == 422
    assert forced.json()["detail"] == (
        "all items are on side A and do not net to zero within the tolerance "
        "(they differ by 60.00); select items of both sides to force a match"
    )
    assert netted.status_code == 201
    assert (await statuses(app))["s1"] == "open"
    assert (await statuses(app))["s3"] == "matched"


async def test_manual_match_of_matched_item_conflicts(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(
        app,
        "file-1",
        [item("s1", "5.00", reference="A"), ledger("l1", "5.00", reference="A")],
    )
    await feed(app, "file-2", [ledger("l2", "5.00", reference="B")])

    response = await client.post(
        MANUAL,
        json={"transaction_ids": ["s1", "l2"], "reason": "try twice"},
        headers=headers(service_token),
    )

    assert response.status_code == 409
    assert (await group_items(app))["s1"] != (await group_items(app)).get("l2")


async def test_unmatch_returns_items_to_breaks(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(
        app,
        "file-1",
        [item("s1", "5.00", reference="A"), ledger("l1", "5.00", reference="A")],
    )
    group_id = (await group_items(app))["s1"]

    response = await client.post(
        f"/v1/match-groups/{group_id}/unmatch",
        json={"reason": "wrong customer"},
        headers=headers(service_token),
    )
    await feed(app, "file-2", [ledger("l9", "7.00")])

    assert sorted(response.json()) == ["l1", "s1"]
    found = await statuses(app)
    assert found["s1"] == "open"
    assert found["l1"] == "open"
    message = [b["data"] for b in await outbox(app) if b["type"] == "matches-produced"]
    unmatched = [m for m in message if m["action"] == "match.unmatch"]
    assert unmatched[0]["dissolved_group_ids"] == [group_id]
    assert "s1" not in await group_items(app)


async def test_summary_counts_proposed_items_as_matched(app: FastAPI) -> None:
    await proposed_group(app)
    await feed(app, "file-2", [item("s2", "70.00")])

    messages = [
        body for body in await outbox(app) if body["type"] == "matches-produced"
    ]
    summary = messages[-1]["data"]["summaries"][0]

    assert summary["transactions"] == 3
    assert summary["matched"] == 2
    assert summary["open_breaks"] == 1


async def test_confirm_proposed_group(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    group_id = await proposed_group(app)

    response = await client.post(
        f"/v1/match-groups/{group_id}/confirm",
        json={},
        headers=headers(service_token),
    )
    again = await client.post(
        f"/v1/match-groups/{group_id}/confirm",
        json={},
        headers=headers(service_token),
    )

    assert response.json()["status"] == "confirmed"
    assert (await statuses(app))["s1"] == "matched"
    assert again.status_code == 409


async def test_reject_proposed_group(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    group_id = await proposed_group(app)

    response = await client.post(
        f"/v1/match-groups/{group_id}/reject",
        json={"reason": "different invoices"},
        headers=headers(service_token),
    )
    await feed(app, "file-2", [ledger("l5", "3.00")])

    assert response.status_code == 200
    found = await statuses(app)
    assert found["s1"] == "open"
    assert found["l1"] == "open"
    assert ("match.reject", "otto", "success") in await audit_actions(app)


async def test_rerun_dry_run_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "file-1", [item("s1", "100.00"), item("s2", "40.00")])
    await feed(app, "file-2", [ledger("l1", "100.00"), ledger("l2", "40.50")])
    group_id = (await group_items(app))["s1"]
    await client.post(
        f"/v1/match-groups/{group_id}/unmatch",
        json={"reason": "check again"},
        headers=headers(service_token),
    )
    before = (await statuses(app), await group_items(app), await outbox(app))

    response = await client.post(
        RERUN,
        params={"from": "2026-11-01", "to": "2026-11-30", "dry_run": "true"},
        headers=headers(service_token),
    )

    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    after = (await statuses(app), await group_items(app), await outbox(app))
    assert after == before


async def test_rerun_applies_outside_manual_groups(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "file-1", [item("s1", "100.00"), item("s2", "40.00")])
    await feed(app, "file-2", [ledger("l1", "70.00"), ledger("l2", "70.00")])
    manual = await client.post(
        MANUAL,
        json={
            "transaction_ids": ["s1", "l1"],
            "reason": "partial payment",
            "force": True,
        },
        headers=headers(service_token),
    )
    dry = await client.post(
        RERUN,
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=headers(service_token),
    )

    real = await client.post(
        RERUN,
        params={"from": "2026-11-01", "to": "2026-11-30", "dry_run": "false"},
        headers=headers(service_token),
    )

    assert dry.json()["groups_formed"] == []
    assert real.json()["open_breaks_after"] == 2
    items = await group_items(app)
    assert items["s1"] == manual.json()["group"]["group_id"]
    assert ("reconciliation.rerun", "otto", "success") in await audit_actions(app)


async def test_unmatch_without_reason_names_field(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(
        app,
        "file-1",
        [item("s1", "5.00", reference="A"), ledger("l1", "5.00", reference="A")],
    )
    group_id = (await group_items(app))["s1"]

    missing = await client.post(
        f"/v1/match-groups/{group_id}/unmatch",
        json={},
        headers=headers(service_token),
    )
    empty = await client.post(
        f"/v1/match-groups/{group_id}/unmatch",
        json={"reason": ""},
        headers=headers(service_token),
    )

    assert missing.status_code == 422
    assert missing.json() == {
        "error": "RequestValidationError",
        "detail": "missing body field reason",
    }
    assert empty.json()["detail"] == (
        "invalid body field reason '': string should have at least 1 character"
    )
    assert (await statuses(app))["s1"] == "matched"


async def test_blank_reasons_and_comments_rejected(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(
        app,
        "file-1",
        [
            item("s1", "5.00", reference="A"),
            ledger("l1", "5.00", reference="A"),
            item("s2", "7.00", reference="B"),
            ledger("l2", "9.00", reference="C"),
        ],
    )
    group_id = (await group_items(app))["s1"]

    unmatch = await client.post(
        f"/v1/match-groups/{group_id}/unmatch",
        json={"reason": "   "},
        headers=headers(service_token),
    )
    manual = await client.post(
        MANUAL,
        json={"transaction_ids": ["s2", "l2"], "reason": " \t ", "force": True},
        headers=headers(service_token),
    )
    comment = await client.post(
        "/v1/breaks/s2/comments", json={"body": "  "}, headers=headers(service_token)
    )

    assert unmatch.status_code == 422
    assert manual.status_code == 422
    assert comment.status_code == 422
    assert "invalid body field reason" in unmatch.json()["detail"]
    assert "invalid body field body" in comment.json()["detail"]
    assert (await statuses(app))["s1"] == "matched"
    assert (await statuses(app))["s2"] == "open"


async def test_manual_match_invalid_json_names_problem(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.post(
        MANUAL,
        content=b"{not json",
        headers={**headers(service_token), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("the request body is not valid JSON")


async def test_rerun_unknown_reconciliation_names_public_route(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.post(
        "/v1/reconciliations/nostro-unknown/rerun",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=headers(service_token),
    )

    detail = response.json()["detail"]
    assert response.status_code == 404
    assert detail.startswith("reconciliation 'nostro-unknown' not found;")
    assert "GET /api/v1/reconciliations on the reporting service" in detail
    assert "GET /v1/reconciliations" not in detail
