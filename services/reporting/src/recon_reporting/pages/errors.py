"""The HTML error page that browsers get instead of the JSON error envelope.

The heading depends only on the status code, so the page shows no exception class
name. Below it is the error's own sentence, which states what failed and what to do
next.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from recon_reporting.pages.forms import describe_detail


def error_heading(status_code: int) -> str:
    """Return the heading of the error page for a response of `status_code`."""
    if status_code == HTTPStatus.FORBIDDEN:
        return "You do not have access to this page"
    if status_code == HTTPStatus.NOT_FOUND:
        return "Not found"
    if status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return "Something went wrong"
    return "The request was not accepted"


def render_error_page(
    request: Request,
    *,
    status_code: int,
    detail: Any,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render the error page with a heading by status and the error's sentence."""
    sentence = detail if isinstance(detail, str) else describe_detail(detail)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "heading": error_heading(status_code), "detail": sentence},
        status_code=status_code,
        headers=headers,
    )
    return response
