"""The approvals queue and the four-eyes decisions, posted to a real matcher."""

import httpx
from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.runtime import ServiceRuntime
from recon_matcher.models import ApprovalRecord

from tests.reporting.pages.conftest import (
    APPROVER,
    WorkedDay,
    csrf_of,
    flash_of,
    matcher_audit,
    post_form,
    relay,
    signed_in,
)


async def _open_breaks(http: httpx.AsyncClient) -> set[str]:
    page = await http.get("/api/v1/breaks")
    return {item["transaction_id"] for item in page.json()["items"]}


async def test_queue_shows_request_with_reason(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, APPROVER) as http:
        page = await http.get("/approvals")

    assert f'id="approval-{worked_day.approval_id}"' in page.text
    assert "bank fee below threshold" in page.text
    assert f'action="/approvals/{worked_day.approval_id}/approve"' in page.text


async def test_queue_marks_own_request(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        page = await http.get("/approvals")

    assert "(your request)" in page.text
    assert f'action="/approvals/{worked_day.approval_id}/approve"' in page.text


async def test_maker_approval_shows_four_eyes_refusal(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    approval = worked_day.approval_id
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/approvals"))

        next_page = await post_form(
            http,
            f"/approvals/{approval}/approve",
            {"next": "/approvals"},
            token=token,
        )
        await relay(live_matcher, operator_app, expected=0)
        still_open = await _open_breaks(http)

    message = flash_of(next_page)
    assert message.startswith("Approve failed:")
    assert "four-eyes" in message
    assert f'id="approval-{approval}"' in next_page.text
    assert worked_day.requested_break in still_open
    audit = await matcher_audit(live_matcher)
    assert ("break.write_off.approve", "otto", "failure") in audit


async def test_second_user_approval_ends_break(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    approval = worked_day.approval_id
    async with signed_in(operator_app, APPROVER) as http:
        token = csrf_of(await http.get("/approvals"))

        next_page = await post_form(
            http,
            f"/approvals/{approval}/approve",
            {"reason": "fee confirmed", "next": "/approvals"},
            token=token,
        )
        await relay(live_matcher, operator_app)
        still_open = await _open_breaks(http)

    assert flash_of(next_page).startswith(f"Request {approval} approved")
    assert f'id="approval-{approval}"' not in next_page.text
    assert worked_day.requested_break not in still_open
    audit = await matcher_audit(live_matcher)
    assert ("break.write_off.approved", APPROVER, "success") in audit


async def test_maker_may_withdraw_request(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    approval = worked_day.approval_id
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/approvals"))

        next_page = await post_form(
            http,
            f"/approvals/{approval}/reject",
            {"next": "/approvals"},
            token=token,
        )
        await relay(live_matcher, operator_app)
        still_open = await _open_breaks(http)

    assert flash_of(next_page).startswith(f"Request {approval} rejected")
    assert "No pending requests." in next_page.text
    assert worked_day.requested_break in still_open


async def test_decided_request_shows_conflict(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    approval = worked_day.approval_id
    async with signed_in(operator_app, APPROVER) as http:
        token = csrf_of(await http.get("/approvals"))
        await post_form(
            http, f"/approvals/{approval}/reject", {"next": "/approvals"}, token=token
        )

        next_page = await post_form(
            http, f"/approvals/{approval}/approve", {"next": "/approvals"}, token=token
        )

    assert "a decided request cannot change" in flash_of(next_page)


async def test_viewer_queue_comes_from_read_model(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "vera") as http:
        page = await http.get("/approvals")

    assert f'id="approval-{worked_day.approval_id}"' in page.text
    assert "Your role may only read" in page.text
    assert 'name="csrf_token"' not in page.text


async def test_rejection_note_reaches_matcher(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    approval = worked_day.approval_id
    async with signed_in(operator_app, APPROVER) as http:
        queue = await http.get("/approvals")
        await post_form(
            http,
            f"/approvals/{approval}/reject",
            {"next": "/approvals", "reason": "  raised twice  "},
            token=csrf_of(queue),
        )

    runtime: ServiceRuntime = live_matcher.state.runtime
    async with session_scope(runtime.sessions) as session:
        record = await session.get(ApprovalRecord, approval)
    assert 'id="reject-note-1"' in queue.text
    assert record is not None
    assert record.state == "rejected"
    assert record.decision_note == "raised twice"
