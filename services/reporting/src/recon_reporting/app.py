"""FastAPI application of the reporting service."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from recon_common.errors import ErrorBody, ReconError
from recon_common.events import TOPIC_MATCHES_PRODUCED
from recon_common.runtime import ServiceRuntime, health_router
from recon_common.settings import Environment
from recon_common.validation_errors import (
    describe_validation_errors,
    error_locations,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from recon_reporting.access.headers import SecurityHeadersMiddleware
from recon_reporting.access.middleware import IPAllowlistMiddleware
from recon_reporting.actions.client import MatcherRejected
from recon_reporting.actions.endpoints import router as actions_router
from recon_reporting.api_docs import install_api_docs
from recon_reporting.auth.dependencies import LoginRequired
from recon_reporting.auth.endpoints import router as auth_router
from recon_reporting.auth.throttle import LoginThrottled
from recon_reporting.auth.tokens import TokenSigner
from recon_reporting.auth.users import (
    INITIAL_PASSWORD_FILENAME,
    UserStore,
    create_initial_user,
)
from recon_reporting.breaks.endpoints import router as breaks_router
from recon_reporting.files.endpoints import router as files_router
from recon_reporting.matches.endpoints import router as matches_router
from recon_reporting.models import OutboxMessage, ProcessedEvent
from recon_reporting.pages.endpoints import router as pages_router
from recon_reporting.pages.errors import render_error_page
from recon_reporting.pages.templating import STATIC_DIR, create_templates
from recon_reporting.readmodel.handlers import handle_matches_produced
from recon_reporting.reconciliations.endpoints import router as reconciliations_router
from recon_reporting.reports.endpoints import router as reports_router
from recon_reporting.settings import ReportingSettings
from recon_reporting.transactions.endpoints import router as transactions_router

log = structlog.get_logger(__name__)

CONSUMER_GROUP = "reporting-read-model"


def _create_initial_user(settings: ReportingSettings) -> None:
    if settings.environment != Environment.DEVELOPMENT:
        return
    password = create_initial_user(settings.users_file)
    if password is None:
        return
    # The password stays out of the log, which other users of the machine may
    # read. It is in a file that only the owner can read, and the CLI that starts
    # the platform prints it from there.
    log.warning(
        "reporting.initial_user.created",
        username="operator",
        password_file=str(settings.users_file.parent / INITIAL_PASSWORD_FILENAME),
    )


async def _handle_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)  # noqa: S101 - registered for it only
    return RedirectResponse(exc.location, status_code=303)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in (
        request.headers.get("accept", "")
    )


def _error_response(
    request: Request,
    *,
    error: str,
    detail: Any,
    status_code: int,
    headers: Mapping[str, str] | None = None,
) -> Response:
    # The JSON envelope of recon_common.errors for the API, an HTML page for browsers.
    if _wants_page(request):
        return render_error_page(
            request, status_code=status_code, detail=detail, headers=headers
        )
    body = ErrorBody(error=error, detail=detail)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status_code, headers=headers
    )


async def _handle_recon_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReconError)  # noqa: S101 - registered for it only
    headers = exc.headers if isinstance(exc, LoginThrottled) else None
    error = exc.error if isinstance(exc, MatcherRejected) else type(exc).__name__
    return _error_response(
        request,
        error=error,
        detail=exc.detail,
        status_code=exc.status_code,
        headers=headers,
    )


async def _handle_http_error(request: Request, exc: Exception) -> Response:
    # Starlette raises these for unknown paths (404) and methods (405). Without this
    # handler a browser would get FastAPI's bare JSON body instead of the error page.
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it
    phrase = HTTPStatus(exc.status_code).phrase
    detail: Any = exc.detail
    if exc.status_code == HTTPStatus.NOT_FOUND and exc.detail == phrase:
        detail = f"no page or API route at {request.url.path}"
    return _error_response(
        request,
        error=phrase.replace(" ", "").replace("-", ""),
        detail=detail,
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _handle_validation_error(request: Request, exc: Exception) -> Response:
    # FastAPI's default body is {"detail": [...]}, pydantic's raw list of errors.
    # The envelope gets one sentence per invalid field instead, as every other 422
    # of the service has, and the pages show the same sentence.
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it
    errors = exc.errors()
    # Field names only: the rejected input may be a reason text or an account.
    log.info(
        "reporting.request.invalid",
        path=request.url.path,
        fields=error_locations(errors),
    )
    return _error_response(
        request,
        error=type(exc).__name__,
        detail=describe_validation_errors(request, errors),
        status_code=422,
    )


def _document_validation_envelope(app: FastAPI) -> None:
    """Make the OpenAPI document describe 422 responses with the error envelope."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorBody", ErrorBody.model_json_schema())
        envelope = {"$ref": "#/components/schemas/ErrorBody"}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                response = operation.get("responses", {}).get("422")
                if response is not None:
                    response["content"] = {"application/json": {"schema": envelope}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: ReportingSettings, *, start_kafka: bool = True) -> FastAPI:
    """Build the reporting service application.

    With `start_kafka=False` the app serves HTTP from the database only: no consumer
    is started and audit events stay in the outbox table until a later start.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _create_initial_user(settings)
        runtime = ServiceRuntime(
            settings=settings,
            outbox_model=OutboxMessage,
            processed_model=ProcessedEvent,
        )
        app.state.runtime = runtime
        if start_kafka:
            runtime.add_consumer(
                topics=[TOPIC_MATCHES_PRODUCED],
                group_id=CONSUMER_GROUP,
                handler=handle_matches_produced,
            )
            await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Reconciliation reports",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.users = UserStore(settings.users_file)
    app.state.signer = TokenSigner(settings.session_secret.get_secret_value())
    app.state.templates = create_templates()
    # TODO: plug an OIDC provider (the bank's identity provider) in here, as a login
    # route and a dependency that maps its role claim to `Role`.

    app.add_exception_handler(ReconError, _handle_recon_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    _document_validation_envelope(app)
    app.add_exception_handler(LoginRequired, _handle_login_required)
    app.include_router(health_router(lambda: app.state.runtime))
    app.include_router(auth_router)
    app.include_router(reconciliations_router)
    app.include_router(files_router)
    app.include_router(transactions_router)
    app.include_router(matches_router)
    app.include_router(breaks_router)
    app.include_router(actions_router)
    app.include_router(reports_router)
    app.include_router(pages_router)
    install_api_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(SecurityHeadersMiddleware)
    # Added last, so it runs first: a rejected address reaches no other code.
    app.add_middleware(
        IPAllowlistMiddleware,
        allowed=settings.allowed_networks,
        trusted_proxies=settings.trusted_proxy_networks,
    )
    return app
