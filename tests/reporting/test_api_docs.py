"""Tests for the Swagger UI page at /docs, its local assets and its CSP."""

import asyncio
import base64
import hashlib
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import ConsoleMessage, Route, async_playwright
from recon_reporting.api_docs import inline_script_hashes
from recon_reporting.app import create_app
from recon_reporting.settings import ReportingSettings

from tests.reporting.conftest import PASSWORD, make_client

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
ASSET_PATTERN = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"')
INLINE_SCRIPT_PATTERN = re.compile(r"<script>(.*?)</script>", re.DOTALL)
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
# Element id of GET /api/v1/summary in Swagger UI: the tag, then FastAPI's operation id.
SUMMARY_OPERATION = "#operations-reconciliations-get_summary_api_v1_summary_get"


def parse_policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";"))
    return {name: value for name, value in directives}


def sha256_base64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def asset_urls(html: str) -> list[str]:
    return ASSET_PATTERN.findall(html)


async def test_docs_page_references_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    urls = asset_urls(response.text)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert len(urls) == 3
    for url in urls:
        assert url.startswith("/docs/assets/"), url
    assert "http://" not in response.text
    assert "https://" not in response.text
    assert "url: '/openapi.json'" in response.text


async def test_docs_assets_served_with_content_types(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")

    for url in asset_urls(page.text):
        response = await client.get(url)
        expected = CONTENT_TYPES[Path(url).suffix]
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(expected), url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert len(response.content) > 0, url


async def test_docs_policy_allows_inline_script_hash(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs")

    policy = parse_policy(response.headers["content-security-policy"])
    inline_scripts = INLINE_SCRIPT_PATTERN.findall(response.text)
    assert len(inline_scripts) == 1
    digest = sha256_base64(inline_scripts[0])
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["connect-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


async def test_docs_policy_omits_unsafe_sources(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    header = response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in header
    assert "'unsafe-inline'" not in header
    assert "*" not in header


@pytest.mark.parametrize(
    "path",
    [
        "/openapi.json",
        "/login",
        "/api/v1/summary",
        "/docs/assets/swagger-ui-bundle.js",
        "/redoc",
        "/docs/",
    ],
)
async def test_other_responses_keep_strict_policy(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    policy = parse_policy(response.headers["content-security-policy"])
    assert policy["script-src"] == "'none'"
    assert "style-src" not in policy


@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect"])
async def test_unused_docs_routes_not_found(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
async def test_docs_open_without_sign_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "path", ["/docs", "/docs/assets/swagger-ui.css", "/openapi.json"]
)
async def test_docs_rejected_outside_allowlist(app: FastAPI, path: str) -> None:
    async with make_client(app, address="198.51.100.7") as http:
        response = await http.get(path)

    assert response.status_code == 403
    assert response.json()["error"] == "ClientAddressNotAllowed"


def test_inline_script_hashes_skips_external_scripts() -> None:
    html = (
        '<script src="/a.js"></script><p>text</p>'
        "<script>\nconst x = 1 < 2;\n</script><script>alert('&amp;')</script>"
    )

    digests = inline_script_hashes(html)

    assert digests == [
        sha256_base64("\nconst x = 1 < 2;\n"),
        sha256_base64("alert('&amp;')"),
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def server_url(settings: ReportingSettings) -> AsyncIterator[str]:
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
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.mark.browser
async def test_docs_renders_in_chromium_offline(server_url: str) -> None:
    server_origin = urlsplit(server_url).netloc
    requested_origins: set[str] = set()
    blocked_urls: list[str] = []
    console_errors: list[str] = []

    async def allow_only_test_server(route: Route) -> None:
        origin = urlsplit(route.request.url).netloc
        requested_origins.add(origin)
        if origin == server_origin:
            await route.continue_()
        else:
            blocked_urls.append(route.request.url)
            await route.abort()

    def record_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.route("**/*", allow_only_test_server)
            page.on("console", record_console)
            await page.add_init_script(
                "window.cspViolations = [];"
                "document.addEventListener('securitypolicyviolation', (event) => "
                "window.cspViolations.push(event.violatedDirective));"
            )
            await page.goto(f"{server_url}/login?next=/docs")
            await page.get_by_label("Username").fill("vera")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await page.wait_for_url(f"{server_url}/docs")
            await page.locator(".opblock").first.wait_for(timeout=15_000)
            operation_count = await page.locator(".opblock").count()
            summary = page.locator(SUMMARY_OPERATION)
            await summary.locator(".opblock-summary").click()
            await summary.get_by_role("button", name="Try it out").click()
            await summary.get_by_role("button", name="Execute").click()
            live_status = summary.locator(
                ".live-responses-table tbody .response-col_status"
            )
            await live_status.wait_for(timeout=10_000)
            status_text = await live_status.inner_text()
            response_body = await summary.locator(
                ".live-responses-table tbody .response-col_description pre"
            ).first.inner_text()
            violations = await page.evaluate("window.cspViolations")
        finally:
            await browser.close()

    csp_errors = [text for text in console_errors if "Content Security" in text]
    assert operation_count > 10
    assert status_text.strip() == "200"
    assert "open_breaks" in response_body
    assert csp_errors == []
    assert violations == []
    assert blocked_urls == []
    assert requested_origins == {server_origin}
