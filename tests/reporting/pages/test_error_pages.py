"""Error pages: a plain heading by status code above the error's own sentence."""

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from recon_reporting.app import create_app
from recon_reporting.pages.errors import error_heading
from recon_reporting.settings import ReportingSettings

from tests.reporting.pages.conftest import APPROVER, csrf_of, free_port, signed_in
from tests.reporting.pages.test_definition_pages import HTML_ACCEPT, PAGE

FORBIDDEN = "You do not have access to this page"
NOT_FOUND = "Not found"
NOT_ACCEPTED = "The request was not accepted"
SERVER_ERROR = "Something went wrong"


def heading_of(page: httpx.Response) -> str:
    """Return the error page's heading, unescaped."""
    found = re.search(r'<h1 id="error-heading">(.*?)</h1>', page.text, re.DOTALL)
    assert found is not None, "the response is not the error page"
    return html.unescape(found.group(1))


def detail_of(page: httpx.Response) -> str:
    """Return the error page's sentence below the heading, unescaped."""
    found = re.search(r'<p [^>]*id="error-detail">(.*?)</p>', page.text, re.DOTALL)
    assert found is not None, "the error page shows no sentence"
    return html.unescape(found.group(1))


def title_of(page: httpx.Response) -> str:
    """Return the text of the page's title element, unescaped."""
    found = re.search(r"<title>(.*?)</title>", page.text, re.DOTALL)
    assert found is not None, "the page has no title"
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("status_code", "heading"),
    [
        (400, NOT_ACCEPTED),
        (401, NOT_ACCEPTED),
        (403, FORBIDDEN),
        (404, NOT_FOUND),
        (405, NOT_ACCEPTED),
        (409, NOT_ACCEPTED),
        (422, NOT_ACCEPTED),
        (429, NOT_ACCEPTED),
        (500, SERVER_ERROR),
        (502, SERVER_ERROR),
        (504, SERVER_ERROR),
    ],
)
def test_error_heading_by_status(status_code: int, heading: str) -> None:
    assert error_heading(status_code) == heading


async def test_forbidden_page_plain_heading(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get(f"{PAGE}/edit", headers=HTML_ACCEPT)

    assert page.status_code == 403
    assert heading_of(page) == FORBIDDEN
    assert title_of(page).startswith(FORBIDDEN)
    assert detail_of(page) == (
        "role viewer may only read definitions; approvers and administrators save "
        "and activate them"
    )
    assert "DefinitionEditForbidden" not in page.text


async def test_forbidden_post_plain_heading(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        page = await http.post(
            f"{PAGE}/edit", data={"source": "id: x\n"}, headers=HTML_ACCEPT
        )

    assert page.status_code == 403
    assert heading_of(page) == FORBIDDEN
    assert "Forbidden" not in title_of(page)


async def test_missing_definition_not_found_heading(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get("/definitions/missing", headers=HTML_ACCEPT)

    assert page.status_code == 404
    assert heading_of(page) == NOT_FOUND
    assert detail_of(page).startswith("definition 'missing' not found")
    assert "NotFound" not in page.text


async def test_unknown_path_not_found_heading(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get("/no-such-page", headers=HTML_ACCEPT)

    assert page.status_code == 404
    assert heading_of(page) == NOT_FOUND
    assert detail_of(page) == "no page or API route at /no-such-page"


async def test_invalid_query_not_accepted_heading(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get(f"{PAGE}/diff?from=zero&to=1", headers=HTML_ACCEPT)

    assert page.status_code == 422
    assert heading_of(page) == NOT_ACCEPTED
    assert (
        detail_of(page) == "invalid from 'zero': expected a version number of 1 or more"
    )
    assert "InvalidRequest" not in page.text


async def test_invalid_form_field_not_accepted_heading(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))

        page = await http.post(
            f"{PAGE}/edit",
            data={"csrf_token": token, "source": "id: x\n", "activate": "maybe"},
            headers=HTML_ACCEPT,
        )

    assert page.status_code == 422
    assert heading_of(page) == NOT_ACCEPTED
    assert detail_of(page).startswith("invalid form field activate 'maybe': ")
    assert detail_of(page).endswith("; send true or false")
    assert "RequestValidationError" not in page.text


async def test_wrong_method_not_accepted_heading(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.delete(PAGE, headers=HTML_ACCEPT)

    assert page.status_code == 405
    assert heading_of(page) == NOT_ACCEPTED
    assert detail_of(page) == "Method Not Allowed"
    assert "MethodNotAllowed" not in page.text


@pytest.fixture
async def unreachable_matcher_app(
    settings: ReportingSettings, users_file: Path
) -> AsyncIterator[FastAPI]:
    """Yield the reporting app wired to a loopback port where nothing listens."""
    wired = settings.model_copy(
        update={
            "matcher_url": f"http://127.0.0.1:{free_port()}",
            "matcher_timeout_s": 2.0,
        }
    )
    app = create_app(wired, start_kafka=False)
    async with app.router.lifespan_context(app):
        yield app


async def test_unreachable_matcher_server_error_heading(
    unreachable_matcher_app: FastAPI,
) -> None:
    async with signed_in(unreachable_matcher_app, "vera") as http:
        page = await http.get("/definitions", headers=HTML_ACCEPT)

    assert page.status_code == 502
    assert heading_of(page) == SERVER_ERROR
    assert detail_of(page).startswith("the matcher at http://127.0.0.1:")
    assert "MatcherUnavailable" not in page.text


async def test_approvals_unreachable_matcher_lists_nothing(
    unreachable_matcher_app: FastAPI,
) -> None:
    async with signed_in(unreachable_matcher_app, "otto") as http:
        page = await http.get("/approvals", headers=HTML_ACCEPT)

    assert page.status_code == 200
    assert "Loading the queue failed: the matcher at http://127.0.0.1:" in page.text
    assert "No pending requests." not in page.text
    assert "The requests could not be loaded, so none are listed." in page.text
