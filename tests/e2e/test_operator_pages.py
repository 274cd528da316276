"""Operators work breaks in Chromium against the whole platform.

The demo day goes in over SFTP, the matcher leaves breaks, and the reporting pages
send an operator's manual match and a four-eyes write-off to the matcher. The
changes come back to the pages through Kafka and the reporting read model.
"""

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright
from recon_reporting.auth.passwords import hash_password
from recon_reporting.auth.roles import Role
from recon_reporting.auth.users import StoredUser, save_user

from recon_platform import demo
from tests.e2e.conftest import Platform

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kafka,
    pytest.mark.postgres,
    pytest.mark.browser,
]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APPROVER = "approver"
# Seconds for a change to travel matcher, Kafka, read model and back to the page.
PROPAGATION_TIMEOUT_S = 90.0
# Rows of one break list page, as `pages.endpoints.PAGE_SIZE` sets it.
PAGE_SIZE = 50


@pytest.fixture(scope="module")
def delivered(live_platform: Platform) -> Platform:
    """Send the demo day over SFTP and wait until reporting shows every item."""
    day = live_platform.day
    statements = [f"put {path} {path.name}" for path in day.statement_files]
    result = live_platform.sftp(demo.STATEMENT_USER, statements)
    assert result.returncode == 0, result.stderr
    result = live_platform.sftp(
        demo.LEDGER_USER, [f"put {day.ledger_file} {day.ledger_file.name}"]
    )
    assert result.returncode == 0, result.stderr
    live_platform.wait_until(
        lambda: (
            demo.fetch_summary(live_platform.stack)["transactions"]
            == day.expected_transactions
        ),
        timeout_s=240,
        what=f"{day.expected_transactions} transactions in reporting",
    )
    return live_platform


@pytest.fixture(scope="module")
def approver_password(delivered: Platform) -> str:
    """Add a second user to the reporting users file, which the service rereads."""
    password = secrets.token_urlsafe(16)
    users_file = delivered.stack.service_dir("reporting") / "users.yaml"
    save_user(
        users_file,
        StoredUser(
            username=APPROVER, password_hash=hash_password(password), role=Role.APPROVER
        ),
    )
    return password


def reporting_api(platform: Platform, path: str) -> Any:
    """GET a reporting API resource as the initial operator."""
    response = httpx.get(
        f"{platform.stack.url('reporting')}{path}",
        auth=demo.reporting_credentials(platform.stack),
        timeout=30.0,
    )
    response.raise_for_status()
    return response.json()


def first_page_breaks(platform: Platform) -> dict[str, list[dict[str, Any]]]:
    """Return the breaks on the first break list page of each reconciliation."""
    pages = {}
    for reconciliation in reporting_api(platform, "/api/v1/reconciliations")["items"]:
        reconciliation_id = reconciliation["reconciliation_id"]
        page = reporting_api(
            platform,
            f"/api/v1/breaks?reconciliation_id={reconciliation_id}&limit={PAGE_SIZE}",
        )
        pages[reconciliation_id] = page["items"]
    return pages


def pick_pair(pages: dict[str, list[dict[str, Any]]]) -> tuple[str, str, str]:
    """Return a reconciliation and two of its breaks in one currency, one per side."""
    for reconciliation_id, breaks in pages.items():
        for first in breaks:
            for second in breaks:
                if (
                    first["side"] != second["side"]
                    and first["currency"] is not None
                    and first["currency"] == second["currency"]
                ):
                    return (
                        reconciliation_id,
                        first["transaction_id"],
                        second["transaction_id"],
                    )
    raise AssertionError("the demo day left no pair of breaks to match by hand")


async def sign_in(browser: Browser, base_url: str, user: str, password: str) -> Page:
    """Open a new browser context and sign in as `user`."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Username").fill(user)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{base_url}/")
    return page


async def poll(
    page: Page, url: str, condition: Callable[[Page], Awaitable[bool]], *, what: str
) -> None:
    """Reload `url` every second until `condition` is true or time runs out."""
    try:
        async with asyncio.timeout(PROPAGATION_TIMEOUT_S):
            while True:
                await page.goto(url)
                if await condition(page):
                    return
                await asyncio.sleep(1.0)
    except TimeoutError:
        raise AssertionError(
            f"timed out after {PROPAGATION_TIMEOUT_S:.0f} s waiting for {what}"
        ) from None


async def test_manual_match_leaves_break_list(delivered: Platform) -> None:
    reconciliation_id, first, second = pick_pair(first_page_breaks(delivered))
    user, password = demo.reporting_credentials(delivered.stack)
    base_url = delivered.stack.url("reporting")
    url = f"{base_url}/breaks?reconciliation_id={reconciliation_id}"

    async def both_gone(page: Page) -> bool:
        visible = await page.get_by_label(f"Select {first}").count()
        visible += await page.get_by_label(f"Select {second}").count()
        return visible == 0

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = await sign_in(browser, base_url, user, password)
            await page.goto(url)
            listed = await page.get_by_label(f"Select {first}").count()
            await page.get_by_label(f"Select {first}").check()
            await page.get_by_label(f"Select {second}").check()
            await page.get_by_label("Reason for the match").fill(
                "browser test: same payment"
            )
            await page.get_by_label("Match even outside the tolerance").check()
            await page.get_by_role("button", name="Match selected breaks").click()
            message = await page.locator("#flash").inner_text()
            await poll(page, url, both_gone, what=f"{first} and {second} to leave")
        finally:
            await browser.close()

    first_after = reporting_api(delivered, f"/api/v1/transactions/{first}")
    second_after = reporting_api(delivered, f"/api/v1/transactions/{second}")
    assert listed == 1
    assert message.startswith("Matched 2 items in group")
    assert first_after["status"] == "matched"
    assert second_after["status"] == "matched"
    assert first_after["group_id"] == second_after["group_id"]


async def test_write_off_needs_second_user(
    delivered: Platform, approver_password: str
) -> None:
    oldest = reporting_api(delivered, "/api/v1/breaks?limit=1")["items"]
    target = oldest[0]["transaction_id"]
    user, password = demo.reporting_credentials(delivered.stack)
    base_url = delivered.stack.url("reporting")

    async def target_gone(page: Page) -> bool:
        return await page.get_by_label(f"Select {target}").count() == 0

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            maker = await sign_in(browser, base_url, user, password)
            await maker.goto(f"{base_url}/breaks")
            await maker.get_by_text(f"Work break {target}").click()
            row = maker.locator("details[open]")
            await row.get_by_label("Close request").select_option("write_off")
            await row.get_by_label("Reason for the request").fill(
                "browser test: bank fee below threshold"
            )
            await row.get_by_role("button", name="Request approval").click()
            requested = await maker.locator("#flash").inner_text()
            found = re.search(r"requested as request ([0-9a-f-]+)\.", requested)
            assert found is not None, requested
            approval_id = found.group(1)

            await maker.goto(f"{base_url}/approvals")
            await maker.get_by_role(
                "button", name=f"Approve request {approval_id}"
            ).click()
            rejection = await maker.locator("#flash").inner_text()

            checker = await sign_in(browser, base_url, APPROVER, approver_password)
            await checker.goto(f"{base_url}/approvals")
            await checker.get_by_role(
                "button", name=f"Approve request {approval_id}"
            ).click()
            approved = await checker.locator("#flash").inner_text()
            await poll(
                checker,
                f"{base_url}/breaks",
                target_gone,
                what=f"{target} to leave the break list",
            )
        finally:
            await browser.close()

    assert requested.startswith(f"Write-off of {target} requested")
    assert rejection.startswith("Approve failed:")
    assert "four-eyes" in rejection
    assert approved.startswith(f"Request {approval_id} approved")
