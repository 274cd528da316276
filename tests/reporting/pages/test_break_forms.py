"""The break list's forms, posted by a signed-in operator to a real matcher."""

import html

from fastapi import FastAPI

from tests.reporting.pages.conftest import (
    WorkedDay,
    csrf_of,
    flash_of,
    matcher_audit,
    post_form,
    relay,
    signed_in,
)


async def test_break_list_shows_match_form(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        page = await http.get("/breaks")

    assert 'action="/breaks/manual-match"' in page.text
    assert 'aria-label="Select s1"' in page.text
    assert 'action="/breaks/s1/close-requests"' in page.text


async def test_break_with_request_not_selectable(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        page = await http.get("/breaks")

    assert f'aria-label="Select {worked_day.requested_break}"' not in page.text
    assert "A pending write-off request blocks manual matching" in page.text


async def test_manual_match_form_matches_breaks(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {
                "transaction_id": ["s1", "l1"],
                "reason": "same payment, ledger booked late",
                "next": "/breaks",
            },
            token=token,
        )
        await relay(live_matcher, operator_app)
        after = await http.get("/breaks")

    assert next_page.status_code == 200
    assert flash_of(next_page).startswith("Matched 2 items in group")
    assert 'aria-label="Select s1"' not in after.text
    assert 'aria-label="Select l1"' not in after.text
    assert 'id="break-s4"' in after.text
    assert ("match.manual", "otto", "success") in await matcher_audit(live_matcher)


async def test_manual_match_outside_tolerance_shows_matcher_error(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {"transaction_id": ["s1", "l4"], "reason": "guess", "next": "/breaks"},
            token=token,
        )
        await relay(live_matcher, operator_app, expected=0)
        after = await http.get("/breaks")

    message = flash_of(next_page)
    assert message.startswith("Manual match failed: the amounts differ by")
    assert "more than the 1.00 EUR" in message
    assert 'role="alert"' in next_page.text
    assert 'aria-label="Select s1"' in after.text
    assert 'aria-label="Select l4"' in after.text


async def test_manual_match_forced_outside_tolerance(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {
                "transaction_id": ["s1", "l4"],
                "reason": "one customer payment split by the bank",
                "force": "true",
                "next": "/breaks",
            },
            token=token,
        )
        await relay(live_matcher, operator_app)
        after = await http.get("/breaks")

    assert "forced outside the tolerance" in flash_of(next_page)
    assert 'aria-label="Select s1"' not in after.text
    assert 'aria-label="Select l4"' not in after.text


async def test_manual_match_one_item_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))
        before = await matcher_audit(live_matcher)

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {"transaction_id": ["s1"], "reason": "alone", "next": "/breaks"},
            token=token,
        )

    assert flash_of(next_page) == (
        "Manual match failed: select at least two breaks; 1 selected."
    )
    assert await matcher_audit(live_matcher) == before


async def test_manual_match_without_reason_rejected(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {"transaction_id": ["s1", "l1"], "reason": " ", "next": "/breaks"},
            token=token,
        )

    assert flash_of(next_page) == "Manual match failed: enter a reason for the match."


async def test_manual_match_matched_item_rejected(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {"transaction_id": ["s1", "s2"], "reason": "x", "next": "/breaks"},
            token=token,
        )

    assert "these items are not open breaks any more: s2" in flash_of(next_page)


async def test_comment_form_adds_comment(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/s1/comments",
            {"body": "asked the branch for the booking", "next": "/breaks"},
            token=token,
        )
        await relay(live_matcher, operator_app)
        after = await http.get("/breaks")

    assert flash_of(next_page).startswith("Comment added to the break of s1.")
    assert "asked the branch for the booking" in after.text


async def test_assign_form_assigns_break(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/s1/assign",
            {"assignee": "anna", "next": "/breaks"},
            token=token,
        )
        await relay(live_matcher, operator_app)
        after = await http.get("/api/v1/breaks")

    row = next(item for item in after.json()["items"] if item["transaction_id"] == "s1")
    assert flash_of(next_page).startswith("The break of s1 is assigned to anna.")
    assert row["state"] == "assigned"
    assert row["assignee"] == "anna"


async def test_close_request_form_queues_approval(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/s1/close-requests",
            {"action": "force_close", "reason": "duplicate entry", "next": "/breaks"},
            token=token,
        )
        queue = await http.get("/approvals")

    assert flash_of(next_page).startswith("Force-close of s1 requested as request")
    assert "duplicate entry" in queue.text
    assert "<code>s1</code>" in queue.text


async def test_close_request_invalid_action_rejected(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/s1/close-requests",
            {"action": "delete", "reason": "x", "next": "/breaks"},
            token=token,
        )

    assert flash_of(next_page) == (
        "Close request failed: invalid action &#39;delete&#39;; expected write_off "
        "or force_close."
    )


async def test_second_close_request_shows_matcher_conflict(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/s4/close-requests",
            {"action": "write_off", "reason": "again", "next": "/breaks"},
            token=token,
        )

    assert "already has pending request" in flash_of(next_page)


async def test_manual_match_error_names_force_checkbox(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {"transaction_id": ["s1", "l4"], "reason": "guess", "next": "/breaks"},
            token=token,
        )
        await relay(live_matcher, operator_app, expected=0)

    message = html.unescape(flash_of(next_page))
    assert "set force" not in message
    assert 'tick "Match even outside the tolerance or across currencies"' in message


async def test_manual_match_message_names_currency(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {
                "transaction_id": [worked_day.open_statement, worked_day.open_ledger],
                "reason": "same payment, ledger booked late",
                "next": "/breaks",
            },
            token=token,
        )

    message = flash_of(next_page)
    assert " with a difference of 0.00 EUR. " in message


async def test_forced_match_message_names_currency(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            "/breaks/manual-match",
            {
                "transaction_id": [worked_day.open_statement, "l4"],
                "reason": "one customer payment split by the bank",
                "force": "true",
                "next": "/breaks",
            },
            token=token,
        )

    message = flash_of(next_page)
    assert " with a difference of 7.00 EUR, forced outside the tolerance. " in message
