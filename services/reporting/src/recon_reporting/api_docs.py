"""Swagger UI at `/docs`, served with its assets from this service.

FastAPI's own `/docs` page loads Swagger UI from a CDN and runs an inline script,
so it stays blank in a network without internet access and under the strict
Content-Security-Policy of `access.headers`. This module serves the JavaScript,
CSS and icon from an installed package instead, and gives the page a policy that
admits scripts from this origin plus the one inline script, by its SHA-256 hash.

`/redoc` stays disabled. ReDoc 2.5 injects `<style>` elements and stops with an
error unless the policy allows 'unsafe-inline' styles, which Swagger UI 5 does not
need.
"""

import base64
import hashlib
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from recon_reporting.access.headers import CSP_HEADER, swagger_ui_policy

DOCS_URL: Final = "/docs"
ASSETS_URL: Final = "/docs/assets"
# fastapi-offline 1.7.7 (MIT) ships Swagger UI 5.32 (Apache-2.0) in its `static`
# folder. swagger-ui-bundle 1.1.0 ships Swagger UI 4.15.5, which rejects the
# OpenAPI 3.1 document that FastAPI generates.
# NOTE: the folder is not a documented interface of fastapi-offline, so an upgrade
# of that package can move it. tests/reporting/test_api_docs.py then fails.
ASSETS_DIR: Final = Path(str(files("fastapi_offline") / "static"))


class _InlineScriptParser(HTMLParser):
    """Collect the text of every `<script>` element that has no `src`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def inline_script_hashes(html: str) -> list[str]:
    """Return the base64 SHA-256 digest of each inline script in `html`."""
    parser = _InlineScriptParser()
    parser.feed(html)
    parser.close()
    return [
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode("ascii")
        for script in parser.scripts
    ]


def build_docs_page(*, openapi_url: str, title: str) -> tuple[str, str]:
    """Build the HTML of the Swagger UI page and its Content-Security-Policy."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - API documentation",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
    )
    html = bytes(page.body).decode()
    policy = swagger_ui_policy(inline_script_hashes=inline_script_hashes(html))
    return html, policy


def install_api_docs(app: FastAPI) -> None:
    """Add the `/docs` route and its assets to an app built with `docs_url=None`."""
    if app.openapi_url is None:
        raise ValueError(
            "cannot serve /docs: the app has openapi_url=None, so it serves no "
            "OpenAPI document for Swagger UI to load"
        )
    html, policy = build_docs_page(openapi_url=app.openapi_url, title=app.title)

    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(html, headers={CSP_HEADER: policy})

    app.add_api_route(DOCS_URL, swagger_ui, methods=["GET"], include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="api_docs_assets")
