"""The main job end to end: a day of real bank files in over SFTP, results out."""

from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright

from recon_platform import demo
from tests.e2e.conftest import Platform

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.postgres]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def delivered(live_platform: Platform) -> Platform:
    """Send the demo day with OpenSSH's sftp and wait until every file is done."""
    day = live_platform.day
    statements = [f"put {path} {path.name}" for path in day.statement_files]
    statements.append(f"put {day.broken_file} {day.broken_file.name}")
    result = live_platform.sftp(demo.STATEMENT_USER, statements)
    assert result.returncode == 0, result.stderr
    result = live_platform.sftp(
        demo.LEDGER_USER, [f"put {day.ledger_file} {day.ledger_file.name}"]
    )
    assert result.returncode == 0, result.stderr

    def all_files_done() -> bool:
        files = live_platform.files_by_name()
        finished = [f for f in files.values() if f["status"] in {"parsed", "rejected"}]
        return len(finished) == len(day.all_files)

    live_platform.wait_until(all_files_done, timeout_s=180, what="all files parsed")
    return live_platform


def reporting_summary(platform: Platform) -> dict[str, Any]:
    return demo.fetch_summary(platform.stack)


def test_demo_day_files_parsed(delivered: Platform) -> None:
    files = delivered.files_by_name()

    statuses = {name: item["status"] for name, item in files.items()}

    for path in delivered.day.statement_files:
        assert statuses[path.name] == "parsed"
    assert statuses[demo.LEDGER_FILENAME] == "parsed"
    assert statuses[demo.BROKEN_FILENAME] == "rejected"


def test_demo_day_formats_detected(delivered: Platform) -> None:
    files = delivered.files_by_name()

    formats = {item["source_format"] for item in files.values()}

    assert {"mt940", "mt950", "camt.053", "csv"} <= formats


def test_broken_file_reason_names_line(delivered: Platform) -> None:
    broken = delivered.files_by_name()[demo.BROKEN_FILENAME]

    reason = broken["rejection_reason"]

    assert "line 5" in reason
    assert ":61:" in reason
    assert broken["transaction_count"] == 0


def test_broken_file_in_audit_journal(delivered: Platform) -> None:
    broken = delivered.files_by_name()[demo.BROKEN_FILENAME]

    def rejection_journaled() -> bool:
        page = delivered.get("audit", "/v1/journal?action=file.rejected&limit=100")
        return any(e["resource_id"] == broken["file_id"] for e in page["entries"])

    delivered.wait_until(rejection_journaled, timeout_s=60, what="file.rejected entry")
    verification = delivered.get("audit", "/v1/journal/verify")
    assert verification["valid"] is True
    assert verification["entries"] > 0


def test_ingest_keeps_running_after_rejection(delivered: Platform) -> None:
    response = httpx.get(f"{delivered.stack.url('ingest')}/readyz", timeout=10.0)

    assert response.status_code == 200


def test_reporting_totals_match_day(delivered: Platform) -> None:
    expected = delivered.day.expected_transactions

    delivered.wait_until(
        lambda: reporting_summary(delivered)["transactions"] == expected,
        timeout_s=180,
        what=f"{expected} transactions in reporting",
    )
    summary = reporting_summary(delivered)

    assert summary["files"] == len(delivered.day.all_files)
    assert summary["files_rejected"] == 1
    assert summary["matched"] > 0
    assert summary["open_breaks"] > 0
    assert summary["matched"] + summary["open_breaks"] == expected


def test_reporting_agrees_with_matcher(delivered: Platform) -> None:
    expected = delivered.day.expected_transactions
    delivered.wait_until(
        lambda: reporting_summary(delivered)["transactions"] == expected,
        timeout_s=180,
        what=f"{expected} transactions in reporting",
    )

    reconciliations = delivered.get("matcher", "/v1/reconciliations")
    summary = reporting_summary(delivered)

    assert sum(r["matched"] for r in reconciliations) == summary["matched"]
    assert sum(r["open_breaks"] for r in reconciliations) == summary["open_breaks"]


def test_auto_match_rate_high(delivered: Platform) -> None:
    expected = delivered.day.expected_transactions
    delivered.wait_until(
        lambda: reporting_summary(delivered)["transactions"] == expected,
        timeout_s=180,
        what=f"{expected} transactions in reporting",
    )

    summary = reporting_summary(delivered)

    # The generator leaves about 2 % of items without a counterpart on each side.
    assert float(summary["auto_match_rate"]) > 0.9


@pytest.mark.browser
async def test_dashboard_shows_day_totals(delivered: Platform) -> None:
    expected = delivered.day.expected_transactions
    delivered.wait_until(
        lambda: reporting_summary(delivered)["transactions"] == expected,
        timeout_s=180,
        what=f"{expected} transactions in reporting",
    )
    summary = reporting_summary(delivered)
    user, password = demo.reporting_credentials(delivered.stack)
    base_url = delivered.stack.url("reporting")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{base_url}/")
            await page.get_by_label("Username").fill(user)
            await page.get_by_label("Password").fill(password)
            await page.get_by_role("button", name="Log in").click()
            await page.wait_for_url(f"{base_url}/")
            shown = {
                name: await page.locator(f"#total-{name}").inner_text()
                for name in ("files", "transactions", "matched", "open-breaks")
            }
            await page.goto(f"{base_url}/files")
            files_page = await page.content()
        finally:
            await browser.close()

    assert shown["files"] == str(summary["files"])
    assert shown["transactions"] == str(summary["transactions"])
    assert shown["matched"] == str(summary["matched"])
    assert shown["open-breaks"] == str(summary["open_breaks"])
    assert demo.BROKEN_FILENAME in files_page
    assert "line 5" in files_page
