"""The match group page and its forms, posted to a real matcher."""

import httpx
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


async def _open_breaks(http: httpx.AsyncClient) -> set[str]:
    page = await http.get("/api/v1/breaks")
    return {item["transaction_id"] for item in page.json()["items"]}


async def test_group_page_shows_items_and_forms(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        page = await http.get(f"/match-groups/{worked_day.proposed_group}")

    assert page.status_code == 200
    assert '<dd id="group-status">proposed</dd>' in page.text
    assert "<code>s3</code>" in page.text
    assert 'id="confirm-form"' in page.text
    assert 'id="reject-form"' in page.text
    assert 'id="unmatch-form"' in page.text


async def test_confirmed_group_page_hides_review_forms(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        page = await http.get(f"/match-groups/{worked_day.confirmed_group}")

    assert '<dd id="group-status">confirmed</dd>' in page.text
    assert 'id="confirm-form"' not in page.text
    assert 'id="unmatch-form"' in page.text


async def test_group_page_redacts_accounts_for_operator(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    async with signed_in(operator_app, "otto") as http:
        page = await http.get(f"/match-groups/{worked_day.confirmed_group}")

    assert "NL91ABNA0417164300" not in page.text
    assert "••••4300" in page.text


async def test_unmatch_form_reopens_breaks(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.confirmed_group
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get(f"/match-groups/{group}"))

        next_page = await post_form(
            http,
            f"/match-groups/{group}/unmatch",
            {"reason": "references collide", "next": "/breaks"},
            token=token,
        )
        await relay(live_matcher, operator_app)
        reopened = await _open_breaks(http)
        dissolved = await http.get(f"/match-groups/{group}")

    assert flash_of(next_page).startswith(
        "Group unmatched: 2 items are open breaks again."
    )
    assert {"s2", "l2"} <= reopened
    assert dissolved.status_code == 404
    assert ("match.unmatch", "otto", "success") in await matcher_audit(live_matcher)


async def test_confirm_form_confirms_proposed_group(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.proposed_group
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get(f"/match-groups/{group}"))

        next_page = await post_form(
            http,
            f"/match-groups/{group}/confirm",
            {
                "reason": "fee deducted by the correspondent",
                "next": f"/match-groups/{group}",
            },
            token=token,
        )
        await relay(live_matcher, operator_app)
        after = await http.get(f"/match-groups/{group}")

    assert flash_of(next_page).startswith(f"Group {group} confirmed.")
    assert '<dd id="group-status">confirmed</dd>' in after.text


async def test_confirm_form_on_confirmed_group_shows_conflict(
    operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.confirmed_group
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get(f"/match-groups/{group}"))

        next_page = await post_form(
            http,
            f"/match-groups/{group}/confirm",
            {"next": f"/match-groups/{group}"},
            token=token,
        )

    message = flash_of(next_page)
    assert message.startswith("Confirm failed:")
    assert "not proposed" in message


async def test_reject_form_reopens_proposed_group(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.proposed_group
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get(f"/match-groups/{group}"))

        next_page = await post_form(
            http,
            f"/match-groups/{group}/reject",
            {"reason": "different customers", "next": "/breaks"},
            token=token,
        )
        await relay(live_matcher, operator_app)
        reopened = await _open_breaks(http)

    assert flash_of(next_page).startswith(
        "Group rejected: 2 items are open breaks again."
    )
    assert {"s3", "l3"} <= reopened


async def test_reject_form_without_reason_rejected(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.proposed_group
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get(f"/match-groups/{group}"))
        before = await matcher_audit(live_matcher)

        next_page = await post_form(
            http,
            f"/match-groups/{group}/reject",
            {"reason": "", "next": f"/match-groups/{group}"},
            token=token,
        )

    assert flash_of(next_page) == "Reject failed: enter a reason."
    assert await matcher_audit(live_matcher) == before


async def test_group_comment_form_adds_comment(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.confirmed_group
    async with signed_in(operator_app, "otto") as http:
        token = csrf_of(await http.get(f"/match-groups/{group}"))

        next_page = await post_form(
            http,
            f"/match-groups/{group}/comments",
            {
                "body": "checked against the SWIFT copy",
                "next": f"/match-groups/{group}",
            },
            token=token,
        )
        await relay(live_matcher, operator_app)
        after = await http.get(f"/match-groups/{group}")

    assert flash_of(next_page).startswith(f"Comment added to group {group}.")
    assert "checked against the SWIFT copy" in after.text
