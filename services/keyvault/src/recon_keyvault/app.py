"""FastAPI application of the key broker."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from recon_common.errors import install_error_handler
from recon_common.runtime import ServiceRuntime, health_router

from recon_keyvault.auditing import AuditTrail
from recon_keyvault.backends import create_backend
from recon_keyvault.broker import Broker
from recon_keyvault.datakeys.endpoints import router as data_keys_router
from recon_keyvault.grants.endpoints import router as grants_router
from recon_keyvault.keys.endpoints import router as keys_router
from recon_keyvault.models import OutboxMessage, ProcessedEvent
from recon_keyvault.settings import KeyvaultSettings


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_broker(
    settings: KeyvaultSettings,
    runtime: ServiceRuntime,
    *,
    clock: Callable[[], datetime] = _utc_now,
) -> Broker:
    """Build the key backend and audit trail on the runtime's session factory."""
    return Broker(
        settings=settings,
        backend=create_backend(settings),
        audit=AuditTrail(settings=settings, sessions=runtime.sessions),
        sessions=runtime.sessions,
        clock=clock,
    )


def create_app(
    settings: KeyvaultSettings,
    *,
    start_kafka: bool = True,
    clock: Callable[[], datetime] = _utc_now,
) -> FastAPI:
    """Build the key broker application.

    With `start_kafka=False` the Kafka producer and outbox relay stay stopped: audit
    events wait in the outbox table, and `/readyz` reports Kafka as unreachable.
    `clock` is the time against which deletion dates and material expiry are
    checked.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(
            settings=settings,
            outbox_model=OutboxMessage,
            processed_model=ProcessedEvent,
        )
        broker = build_broker(settings, runtime, clock=clock)
        runtime.add_readiness_check("key_backend", broker.backend.check)
        app.state.runtime = runtime
        app.state.broker = broker
        if start_kafka:
            await runtime.start()
        try:
            yield
        finally:
            broker.usage.flush()
            await broker.backend.close()
            await runtime.stop()

    app = FastAPI(title="Key broker", version="0.1.0", lifespan=lifespan)
    install_error_handler(app)
    app.include_router(health_router(lambda: app.state.runtime))
    app.include_router(keys_router)
    app.include_router(grants_router)
    app.include_router(data_keys_router)
    return app
