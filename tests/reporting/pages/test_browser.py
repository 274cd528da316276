"""Browser tests: headless Chromium reads the dashboard and edits a definition."""

import asyncio
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import FloatRect, Page, async_playwright
from recon_reporting.app import create_app
from recon_reporting.settings import ReportingSettings

from tests.reporting.conftest import PASSWORD, basic, feed
from tests.reporting.factory import build_day
from tests.reporting.pages.conftest import APPROVER, seed_store

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path(tempfile.gettempdir()) / "reporting-dashboard.png"
EDIT_SCREENSHOT = Path(tempfile.gettempdir()) / "reporting-definition-edit.png"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def server(settings: ReportingSettings) -> AsyncIterator[tuple[FastAPI, str]]:
    app = create_app(settings, start_kafka=False)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        # uvicorn exposes start-up as a flag, not an event.
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_dashboard_shows_summary_numbers(server: tuple[FastAPI, str]) -> None:
    app, base_url = server
    await feed(app, build_day(statements=9, matched_pairs=6).payload)
    async with httpx.AsyncClient(base_url=base_url) as http:
        summary = (await http.get("/api/v1/summary", auth=basic("vera"))).json()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{base_url}/")
            await page.get_by_label("Username").fill("vera")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await page.wait_for_url(f"{base_url}/")
            dashboard_numbers = {
                name: await page.locator(f"#total-{name}").inner_text()
                for name in ["files", "files-rejected", "transactions", "matched"]
            }
            open_breaks = await page.locator("#total-open-breaks").inner_text()
            rate = await page.locator("#total-auto-match-rate").inner_text()
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            await browser.close()

    assert dashboard_numbers["files"] == str(summary["files"])
    assert dashboard_numbers["files-rejected"] == str(summary["files_rejected"])
    assert dashboard_numbers["transactions"] == str(summary["transactions"])
    assert dashboard_numbers["matched"] == str(summary["matched"])
    assert open_breaks == str(summary["open_breaks"])
    assert rate == "80.0 %"


@pytest.fixture
async def definitions_server(
    live_matcher: FastAPI, operator_app: FastAPI
) -> AsyncIterator[str]:
    """Serve the reporting app, wired to a matcher with one definition, over HTTP."""
    await seed_store(live_matcher)
    port = free_port()
    config = uvicorn.Config(
        operator_app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        # uvicorn exposes start-up as a flag, not an event.
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_definition_save_keeps_text(definitions_server: str) -> None:
    base_url = definitions_server
    invalid = "id: nostro-eur\nname: [unclosed\n"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{base_url}/definitions")
            await page.get_by_label("Username").fill(APPROVER)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await page.wait_for_url(f"{base_url}/definitions")
            await page.get_by_role("link", name="nostro-eur").click()
            await page.locator("#edit-link").click()
            await page.get_by_label("Definition as YAML").fill(invalid)
            await page.get_by_role("button", name="Save version").click()
            await page.wait_for_selector("#problems")
            heading = await page.locator("#save-error").inner_text()
            problems = await page.locator("#problems").inner_text()
            textarea_text = await page.get_by_label("Definition as YAML").input_value()
            address = page.url
        finally:
            await browser.close()

    assert heading == "The text is not valid YAML"
    assert problems.startswith("line 3, column 1: ")
    assert textarea_text == invalid
    assert address == f"{base_url}/definitions/nostro-eur/edit"


async def box_of(page: Page, selector: str) -> FloatRect:
    """Return the bounding box of the one element that `selector` finds."""
    box = await page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


async def test_definition_edit_reads_top_to_bottom(definitions_server: str) -> None:
    base_url = definitions_server
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{base_url}/login?next=/definitions/nostro-eur/edit")
            await page.get_by_label("Username").fill(APPROVER)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await page.wait_for_url(f"{base_url}/definitions/nostro-eur/edit")
            code_displays = await page.locator("#save-form > p code").evaluate_all(
                "elements => elements.map(element => getComputedStyle(element).display)"
            )
            line_height = await page.locator("#save-form > p").first.evaluate(
                "element => parseFloat(getComputedStyle(element).lineHeight)"
            )
            intro = await box_of(page, "#save-form > p >> nth=0")
            form = await box_of(page, "#save-form")
            source_label = await box_of(page, "label[for=definition-source]")
            source = await box_of(page, "#definition-source")
            note_label = await box_of(page, "label[for=save-note]")
            note = await box_of(page, "#save-note")
            await page.screenshot(path=str(EDIT_SCREENSHOT), full_page=True)
        finally:
            await browser.close()

    assert code_displays == ["inline", "inline"]
    assert intro["height"] < 3 * line_height
    assert source_label["y"] + source_label["height"] <= source["y"]
    assert source_label["x"] == source["x"]
    assert source["width"] > 0.9 * form["width"]
    assert note_label["y"] + note_label["height"] <= note["y"]
    assert note["y"] - (note_label["y"] + note_label["height"]) < 10
    assert note_label["x"] == note["x"]
