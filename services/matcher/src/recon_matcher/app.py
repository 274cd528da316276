"""FastAPI application of the matcher service.

Reconciliation definitions live in the database as versions (`definitions.store`).
At start-up the definitions file seeds the store (`definitions.seeding`), and the
active definitions adopt the stored unassigned transactions that they select
(`reconciliation.adoption`). Each
`transactions-parsed` chunk is matched with the versions active when it is
processed. Before each `/v1` request outside `/v1/definitions`, a middleware stores
the active definitions in `app.state.definitions`, where the routes read them.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from recon_common.db import session_scope
from recon_common.errors import ErrorBody, install_error_handler
from recon_common.events import TOPIC_TRANSACTIONS_PARSED, Envelope, TransactionsParsed
from recon_common.runtime import ServiceRuntime, health_router
from recon_common.service_auth import carries_service_token
from recon_common.validation_errors import describe_validation_errors, error_locations
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions.endpoints import router as actions_router
from recon_matcher.definitions import Definition, load_definitions
from recon_matcher.definitions.active import ActiveDefinitions
from recon_matcher.definitions.endpoints import router as definitions_router
from recon_matcher.definitions.seeding import seed_definitions
from recon_matcher.definitions.store import ConcurrentSave
from recon_matcher.models import OutboxMessage, ProcessedEvent
from recon_matcher.reconciliation.adoption import adopt_unassigned
from recon_matcher.reconciliation.endpoints import router as reconciliations_router
from recon_matcher.reconciliation.service import apply_chunk
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

ChunkHandler = Callable[[AsyncSession, Envelope], Awaitable[None]]


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    # FastAPI's default body is {"detail": [...]} without the `error` field that
    # every other error of the service has. The reporting service shows `detail`
    # to the operator as text, so it becomes one sentence per invalid field.
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it
    errors = exc.errors()
    # Field names only: the rejected input may be a reason text or an account.
    log.info(
        "matcher.request.invalid",
        path=request.url.path,
        fields=error_locations(errors),
    )
    detail = describe_validation_errors(request, errors)
    body = ErrorBody(error=type(exc).__name__, detail=detail)
    return JSONResponse(status_code=422, content=body.model_dump(mode="json"))


def read_definitions(settings: MatcherSettings) -> list[Definition]:
    """Load the definitions file, or return none when the file is missing."""
    if not settings.definitions_file.exists():
        log.warning(
            "matcher.definitions.missing",
            path=str(settings.definitions_file),
            hint="only definitions saved through /v1/definitions are matched",
        )
        return []
    definitions = load_definitions(settings.definitions_file)
    log.info("matcher.definitions.loaded", count=len(definitions))
    return definitions


async def seed_store(
    runtime: ServiceRuntime,
    *,
    definitions: list[Definition],
    settings: MatcherSettings,
) -> None:
    """Save the file's new or changed definitions, retrying once on a clash.

    A clash means that another replica seeded the same id at the same moment, and
    the retry then finds that replica's version.
    """
    for attempt in (1, 2):
        try:
            async with session_scope(runtime.sessions) as session:
                await seed_definitions(
                    session,
                    definitions=definitions,
                    path=str(settings.definitions_file),
                    settings=settings,
                )
            return
        except ConcurrentSave:
            if attempt == 2:
                raise
            log.warning("matcher.definitions.seed_retry", attempt=attempt)


def make_chunk_handler(
    *, settings: MatcherSettings, active: ActiveDefinitions
) -> ChunkHandler:
    """Return the handler that matches each chunk with the active definitions."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        chunk = envelope.payload(TransactionsParsed)
        # Read in the consumer's transaction, so a redelivered chunk reads again.
        # Each definition carries its stored version, which its groups record.
        definitions = await active.definitions(session)
        await apply_chunk(
            session, chunk=chunk, definitions=definitions, settings=settings
        )

    return handle


def create_app(settings: MatcherSettings, *, start_kafka: bool = True) -> FastAPI:
    """Build the matcher service application.

    With `start_kafka` false the lifespan still seeds the store but starts no
    consumer, producer or relay, so events stay in the outbox table.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from_file = read_definitions(settings)
        runtime = ServiceRuntime(
            settings=settings,
            outbox_model=OutboxMessage,
            processed_model=ProcessedEvent,
        )
        active = ActiveDefinitions()
        handler = make_chunk_handler(settings=settings, active=active)
        runtime.add_consumer(
            topics=[TOPIC_TRANSACTIONS_PARSED], group_id="matcher", handler=handler
        )
        app.state.runtime = runtime
        app.state.active_definitions = active
        app.state.chunk_handler = handler
        try:
            await seed_store(runtime, definitions=from_file, settings=settings)
            # Before the consumer starts, so no chunk matches the same items at once.
            # NOTE: start-up waits for it, and it reads every unassigned row of the
            # definitions' banks and record kinds once, so a large backlog of
            # unassigned rows delays readiness.
            await adopt_unassigned(
                runtime.sessions,
                active=active,
                settings=settings,
                definition_id=None,
                trigger="start-up",
            )
            async with session_scope(runtime.sessions) as session:
                app.state.definitions = await active.definitions(session)
        except BaseException:
            await runtime.engine.dispose()
            raise
        if not start_kafka:
            try:
                yield
            finally:
                await runtime.engine.dispose()
            return
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="Matcher", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handler(app)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)

    @app.middleware("http")
    async def refresh_definitions(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # The operator actions and the reconciliation list read the definitions
        # from app.state. Without a lifespan (as in some tests) nothing refreshes.
        # A request without the service token is refused by its route, so it
        # costs no database query here.
        active: ActiveDefinitions | None = getattr(
            app.state, "active_definitions", None
        )
        path = request.url.path
        if (
            active is not None
            and path.startswith("/v1/")
            and not path.startswith("/v1/definitions")
            and carries_service_token(request, settings)
        ):
            async with session_scope(app.state.runtime.sessions) as session:
                app.state.definitions = await active.definitions(session)
        return await call_next(request)

    app.include_router(health_router(lambda: app.state.runtime))
    app.include_router(reconciliations_router)
    app.include_router(actions_router)
    app.include_router(definitions_router)
    return app
