"""Assigning breaks only to users who can work them, through the API and the page."""

import html

from fastapi import FastAPI

from tests.reporting.conftest import basic, make_client
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


async def assign_count(matcher: FastAPI) -> int:
    """Return how many `break.assign` audit events the matcher has written."""
    events = await matcher_audit(matcher)
    return sum(1 for action, _, _ in events if action == "break.assign")


async def test_assign_api_unknown_user_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with make_client(operator_app) as http:
        response = await http.post(
            f"/api/v1/breaks/{worked_day.open_statement}/assign",
            json={"assignee": "jdoe"},
            auth=basic("otto"),
        )

    body = response.json()
    assert response.status_code == 422
    assert body["error"] == "InvalidAssignee"
    assert "invalid assignee 'jdoe'" in body["detail"]
    assert "no user of the reporting service has this name" in body["detail"]
    assert f"Valid assignees: {APPROVER}, otto." in body["detail"]
    assert "GET /api/v1/breaks/assignees lists them" in body["detail"]
    assert await assign_count(live_matcher) == 0


async def test_assign_api_read_only_role_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with make_client(operator_app) as http:
        responses = {
            name: await http.post(
                f"/api/v1/breaks/{worked_day.open_statement}/assign",
                json={"assignee": name},
                auth=basic("otto"),
            )
            for name in ("vera", "aud", "admin")
        }

    for name, response in responses.items():
        assert response.status_code == 422, name
        assert "may only read" in response.json()["detail"], name
    assert "role viewer" in responses["vera"].json()["detail"]
    assert await assign_count(live_matcher) == 0


async def test_assign_api_valid_names_and_unassign(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    statement_path = f"/api/v1/breaks/{worked_day.open_statement}/assign"
    ledger_path = f"/api/v1/breaks/{worked_day.open_ledger}/assign"
    async with make_client(operator_app) as http:
        to_approver = await http.post(
            statement_path, json={"assignee": f" {APPROVER} "}, auth=basic("otto")
        )
        to_operator = await http.post(
            ledger_path, json={"assignee": "otto"}, auth=basic("otto")
        )
        await relay(live_matcher, operator_app, expected=2)
        assigned = await http.get("/api/v1/breaks", auth=basic("otto"))
        emptied = await http.post(
            statement_path, json={"assignee": "  "}, auth=basic("otto")
        )
        nulled = await http.post(
            statement_path, json={"assignee": None}, auth=basic("otto")
        )
        await relay(live_matcher, operator_app, expected=2)
        unassigned = await http.get("/api/v1/breaks", auth=basic("otto"))

    before = {item["transaction_id"]: item for item in assigned.json()["items"]}
    after = {item["transaction_id"]: item for item in unassigned.json()["items"]}
    assert to_approver.status_code == 200, to_approver.text
    assert to_operator.status_code == 200, to_operator.text
    assert before[worked_day.open_statement]["assignee"] == APPROVER
    assert before[worked_day.open_ledger]["assignee"] == "otto"
    assert emptied.status_code == 200, emptied.text
    assert nulled.status_code == 200, nulled.text
    assert after[worked_day.open_statement]["state"] == "open"
    assert after[worked_day.open_statement]["assignee"] is None
    assert after[worked_day.open_ledger]["assignee"] == "otto"


async def test_assignees_route_lists_acting_users(
    operator_app: FastAPI,
) -> None:
    async with make_client(operator_app) as http:
        response = await http.get("/api/v1/breaks/assignees", auth=basic("vera"))

    assert response.status_code == 200
    assert response.json() == [
        {"username": APPROVER, "role": "approver"},
        {"username": "otto", "role": "operator"},
    ]


async def test_assign_form_offers_valid_users(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        page = await http.get("/breaks")

    assert '<select id="assignee-1" name="assignee">' in page.text
    assert '<option value="">Nobody (return it to the open queue)</option>' in (
        page.text
    )
    assert f'<option value="{APPROVER}" >{APPROVER} (approver)</option>' in page.text
    assert '<option value="otto" >otto (operator)</option>' in page.text
    assert '<option value="vera"' not in page.text
    assert '<option value="aud"' not in page.text
    assert '<input id="assignee-1"' not in page.text


async def test_assign_form_unknown_user_shows_error(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            f"/breaks/{worked_day.open_statement}/assign",
            {"assignee": "jdoe", "next": "/breaks"},
            token=token,
        )

    message = html.unescape(flash_of(next_page))
    assert message.startswith("Assignment failed: invalid assignee 'jdoe': no user")
    assert f"Valid assignees: {APPROVER}, otto." in message
    assert "Choose one of them in the Assign to list" in message
    assert 'role="alert"' in next_page.text
    assert await assign_count(live_matcher) == 0


async def test_assign_form_read_only_user_shows_error(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        next_page = await post_form(
            http,
            f"/breaks/{worked_day.open_statement}/assign",
            {"assignee": "vera", "next": "/breaks"},
            token=token,
        )

    message = html.unescape(flash_of(next_page))
    assert message.startswith("Assignment failed: invalid assignee 'vera'")
    assert "role viewer may only read" in message
    assert await assign_count(live_matcher) == 0


async def test_assign_form_selected_assignee_preselected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))
        await post_form(
            http,
            f"/breaks/{worked_day.open_statement}/assign",
            {"assignee": APPROVER, "next": "/breaks"},
            token=token,
        )
        await relay(live_matcher, operator_app)

        page = await http.get("/breaks")

    assert f'<option value="{APPROVER}" selected>' in page.text
