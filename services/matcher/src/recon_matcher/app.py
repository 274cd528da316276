"""FastAPI application of the matcher service."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from recon_common.errors import install_error_handler
from recon_common.events import TOPIC_TRANSACTIONS_PARSED
from recon_common.runtime import ServiceRuntime, health_router

from recon_matcher.actions.endpoints import router as actions_router
from recon_matcher.definitions import Definition, load_definitions
from recon_matcher.models import OutboxMessage, ProcessedEvent
from recon_matcher.reconciliation.endpoints import router as reconciliations_router
from recon_matcher.reconciliation.handlers import make_transactions_parsed_handler
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)


def read_definitions(settings: MatcherSettings) -> list[Definition]:
    """Load the definitions file; a missing file means no reconciliations yet."""
    if not settings.definitions_file.exists():
        log.warning(
            "matcher.definitions.missing",
            path=str(settings.definitions_file),
            hint="transactions are stored but not matched until definitions exist",
        )
        return []
    definitions = load_definitions(settings.definitions_file)
    log.info("matcher.definitions.loaded", count=len(definitions))
    return definitions


def create_app(settings: MatcherSettings) -> FastAPI:
    """Build the matcher service application."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        definitions = read_definitions(settings)
        runtime = ServiceRuntime(
            settings=settings,
            outbox_model=OutboxMessage,
            processed_model=ProcessedEvent,
        )
        runtime.add_consumer(
            topics=[TOPIC_TRANSACTIONS_PARSED],
            group_id="matcher",
            handler=make_transactions_parsed_handler(
                settings=settings, definitions=definitions
            ),
        )
        app.state.runtime = runtime
        app.state.definitions = definitions
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="Matcher", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handler(app)
    app.include_router(health_router(lambda: app.state.runtime))
    app.include_router(reconciliations_router)
    app.include_router(actions_router)
    return app
