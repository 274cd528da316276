"""Every page form rejects a missing or foreign CSRF token and read-only roles."""

from typing import Any

import httpx
from fastapi import FastAPI

from tests.reporting.conftest import make_client
from tests.reporting.pages.conftest import (
    APPROVER,
    WorkedDay,
    csrf_of,
    matcher_audit,
    session_csrf,
    signed_in,
)


def form_posts(day: WorkedDay) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return each page form's path and valid fields, apart from the CSRF token."""
    statement, ledger = day.open_statement, day.open_ledger
    return {
        "manual match": (
            "/breaks/manual-match",
            {"transaction_id": [statement, ledger], "reason": "same payment"},
        ),
        "break comment": (f"/breaks/{statement}/comments", {"body": "checked"}),
        "assign": (f"/breaks/{statement}/assign", {"assignee": "otto"}),
        "close request": (
            f"/breaks/{statement}/close-requests",
            {"action": "write_off", "reason": "fee"},
        ),
        "unmatch": (
            f"/match-groups/{day.confirmed_group}/unmatch",
            {"reason": "wrong pair"},
        ),
        "confirm": (f"/match-groups/{day.proposed_group}/confirm", {}),
        "reject": (
            f"/match-groups/{day.proposed_group}/reject",
            {"reason": "wrong pair"},
        ),
        "group comment": (
            f"/match-groups/{day.confirmed_group}/comments",
            {"body": "checked"},
        ),
        "approve": (f"/approvals/{day.approval_id}/approve", {}),
        "reject request": (f"/approvals/{day.approval_id}/reject", {}),
    }


async def _post_each(
    http: httpx.AsyncClient,
    day: WorkedDay,
    *,
    token: str | None,
    headers: dict[str, str] | None = None,
) -> dict[str, int]:
    statuses = {}
    for name, (path, fields) in form_posts(day).items():
        data = {**fields, "next": "/breaks"}
        if token is not None:
            data["csrf_token"] = token
        response = await http.post(path, data=data, headers=headers)
        statuses[name] = response.status_code
    return statuses


async def test_forms_without_csrf_token_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    before = await matcher_audit(live_matcher)
    async with signed_in(operator_app, APPROVER) as http:
        statuses = await _post_each(http, worked_day, token=None)

    for name, status in statuses.items():
        assert status == 403, name
    assert await matcher_audit(live_matcher) == before


async def test_forms_with_other_session_token_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    before = await matcher_audit(live_matcher)
    async with signed_in(operator_app, "otto") as other:
        foreign = csrf_of(await other.get("/breaks"))
    async with signed_in(operator_app, APPROVER) as http:
        statuses = await _post_each(http, worked_day, token=foreign)

    for name, status in statuses.items():
        assert status == 403, name
    assert await matcher_audit(live_matcher) == before


async def test_forms_with_altered_token_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    before = await matcher_audit(live_matcher)
    async with signed_in(operator_app, APPROVER) as http:
        token = csrf_of(await http.get("/breaks"))
        altered = token[:-1] + ("A" if token[-1] != "A" else "B")
        statuses = await _post_each(http, worked_day, token=altered)

    for name, status in statuses.items():
        assert status == 403, name
    assert await matcher_audit(live_matcher) == before


async def test_forms_cross_site_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    before = await matcher_audit(live_matcher)
    async with signed_in(operator_app, APPROVER) as http:
        token = csrf_of(await http.get("/breaks"))
        statuses = await _post_each(
            http, worked_day, token=token, headers={"Sec-Fetch-Site": "same-site"}
        )

    for name, status in statuses.items():
        assert status == 403, name
    assert await matcher_audit(live_matcher) == before


async def test_forms_viewer_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    before = await matcher_audit(live_matcher)
    async with signed_in(operator_app, "vera") as http:
        token = session_csrf(operator_app, http)
        statuses = await _post_each(http, worked_day, token=token)

    for name, status in statuses.items():
        assert status == 403, name
    assert await matcher_audit(live_matcher) == before


async def test_forms_auditor_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    before = await matcher_audit(live_matcher)
    async with signed_in(operator_app, "aud") as http:
        token = session_csrf(operator_app, http)
        statuses = await _post_each(http, worked_day, token=token)

    for name, status in statuses.items():
        assert status == 403, name
    assert await matcher_audit(live_matcher) == before


async def test_form_without_session_redirects_to_login(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with make_client(operator_app) as http:
        response = await http.post(
            "/breaks/s1/comments", data={"body": "x", "next": "/breaks"}
        )

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/breaks"


async def test_form_next_outside_site_ignored(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        response = await http.post(
            "/breaks/s1/comments",
            data={
                "body": "x",
                "next": "https://attacker.example/",
                "csrf_token": token,
            },
        )

    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_form_refusal_is_html_page(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, APPROVER) as http:
        response = await http.post(
            "/breaks/s1/comments",
            data={"body": "x"},
            headers={"Accept": "text/html"},
        )

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "missing CSRF token" in response.text


async def test_read_only_pages_show_no_forms(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    paths = [
        "/breaks",
        f"/match-groups/{worked_day.confirmed_group}",
        f"/match-groups/{worked_day.proposed_group}",
        "/approvals",
    ]
    async with signed_in(operator_app, "vera") as http:
        pages = {path: await http.get(path) for path in paths}

    for path, page in pages.items():
        assert page.status_code == 200, path
        assert 'method="post" action="/breaks' not in page.text, path
        assert 'action="/match-groups' not in page.text, path
        assert 'action="/approvals' not in page.text, path
        assert 'type="checkbox"' not in page.text, path


async def test_session_csrf_matches_page_token(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        next_page = csrf_of(await http.get("/breaks"))

        derived = session_csrf(operator_app, http)

    assert derived == next_page


async def test_csrf_token_differs_per_session(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as first:
        first_token = csrf_of(await first.get("/breaks"))
    async with signed_in(operator_app, "otto") as second:
        second_token = csrf_of(await second.get("/breaks"))

    assert first_token != second_token


async def test_login_cross_site_rejected(operator_app: FastAPI) -> None:
    async with make_client(operator_app) as http:
        response = await http.post(
            "/login",
            data={"username": "otto", "password": "irrelevant", "next": "/"},
            headers={"Sec-Fetch-Site": "cross-site"},
        )

    assert response.status_code == 403
    assert "recon_session" not in response.cookies


async def test_api_cookie_post_needs_csrf_header(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get("/breaks"))

        without = await http.post("/api/v1/breaks/s1/comments", json={"body": "x"})
        with_token = await http.post(
            "/api/v1/breaks/s1/comments",
            json={"body": "checked"},
            headers={"X-CSRF-Token": token},
        )

    assert without.status_code == 403
    assert without.json()["error"] == "CsrfRejected"
    assert with_token.status_code == 201
