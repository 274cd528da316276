"""One error model for every service: `ReconError` subclasses and one JSON envelope.

Every error response has the body `{"error": "<ClassName>", "detail": ...}` and the
status code of the exception class.
"""

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class ReconError(Exception):
    """Base class of the errors that services raise on purpose."""

    status_code: ClassVar[int] = 500

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail if detail is not None else message

    @property
    def headers(self) -> dict[str, str]:
        """Response headers of the error, such as WWW-Authenticate on a 401."""
        return {}


class NotFound(ReconError):
    status_code = 404


class InvalidRequest(ReconError):
    status_code = 422


class Conflict(ReconError):
    status_code = 409


class Forbidden(ReconError):
    status_code = 403


class Unauthorized(ReconError):
    status_code = 401


class ErrorBody(BaseModel):
    """The JSON body of every error response."""

    error: str
    detail: Any


def error_responses(*errors: type[ReconError]) -> dict[int | str, dict[str, Any]]:
    """Return the `responses=` mapping that documents `errors` in OpenAPI."""
    return {
        error.status_code: {"model": ErrorBody, "description": error.__name__}
        for error in errors
    }


async def _handle_recon_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReconError)  # noqa: S101 - registered for ReconError only
    body = ErrorBody(error=type(exc).__name__, detail=exc.detail)
    return JSONResponse(
        status_code=exc.status_code,
        content=body.model_dump(mode="json"),
        headers=exc.headers or None,
    )


def install_error_handler(app: FastAPI) -> None:
    """Register the handler that turns every `ReconError` into the JSON envelope."""
    app.add_exception_handler(ReconError, _handle_recon_error)
