"""FastAPI application of the audit service."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from recon_common.errors import install_error_handler
from recon_common.events import TOPIC_AUDIT_EVENTS
from recon_common.runtime import ServiceRuntime, health_router

from recon_audit.journal.endpoints import router as journal_router
from recon_audit.journal.handlers import handle_audit_event
from recon_audit.models import OutboxMessage, ProcessedEvent
from recon_audit.settings import AuditSettings


def create_app(settings: AuditSettings) -> FastAPI:
    """Build the audit service application."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(
            settings=settings,
            outbox_model=OutboxMessage,
            processed_model=ProcessedEvent,
        )
        runtime.add_consumer(
            topics=[TOPIC_AUDIT_EVENTS],
            group_id="audit-journal",
            handler=handle_audit_event,
        )
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="Audit journal", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handler(app)
    app.include_router(health_router(lambda: app.state.runtime))
    app.include_router(journal_router)
    return app
