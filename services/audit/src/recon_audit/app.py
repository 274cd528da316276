"""FastAPI application of the audit service."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from recon_common.errors import install_error_handler
from recon_common.events import TOPIC_AUDIT_EVENTS
from recon_common.runtime import ServiceRuntime, health_router

from recon_audit.alarms.delivery import AlarmDeliveryWorker
from recon_audit.alarms.endpoints import router as alarms_router
from recon_audit.alarms.notifiers import Notifier
from recon_audit.alarms.rules_file import load_alarm_config
from recon_audit.journal.endpoints import router as journal_router
from recon_audit.journal.handlers import build_audit_event_handler
from recon_audit.models import OutboxMessage, ProcessedEvent
from recon_audit.sealing.storage import open_segment_store
from recon_audit.sealing.worker import JournalSealer
from recon_audit.settings import AuditSettings


def create_app(settings: AuditSettings) -> FastAPI:
    """Build the audit service application.

    Raise `AlarmRulesError` when the alarm rules file is invalid, so the service
    does not start with rules that would never fire. The lifespan raises
    `SealingConfigError` when sealing to S3 is configured on a bucket without
    Object Lock.
    """
    alarm_config = load_alarm_config(settings.alarm_rules_file)

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
            handler=build_audit_event_handler(alarm_config),
        )
        app.state.runtime = runtime
        segment_store = await open_segment_store(settings)
        app.state.segment_store = segment_store
        sealer = None
        if segment_store is not None:
            sealer = JournalSealer(
                sessions=runtime.sessions, store=segment_store, settings=settings
            )
            runtime.add_readiness_check("sealer", lambda: _check_sealer(sealer))
        async with httpx.AsyncClient(follow_redirects=False) as http:
            worker = AlarmDeliveryWorker(
                sessions=runtime.sessions,
                config=alarm_config,
                settings=settings,
                notifier=Notifier(settings=settings, http=http),
            )
            runtime.add_readiness_check("alarm_delivery", lambda: _check_worker(worker))
            await runtime.start()
            worker.start()
            if sealer is not None:
                sealer.start()
            try:
                yield
            finally:
                if sealer is not None:
                    await sealer.stop()
                await worker.stop()
                await runtime.stop()
                if segment_store is not None:
                    await segment_store.close()

    app = FastAPI(title="Audit journal", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.alarm_config = alarm_config
    install_error_handler(app)
    app.include_router(health_router(lambda: app.state.runtime))
    app.include_router(journal_router)
    app.include_router(alarms_router)
    return app


async def _check_worker(worker: AlarmDeliveryWorker) -> None:
    if not worker.running:
        raise RuntimeError("the alarm delivery loop has stopped")


async def _check_sealer(sealer: JournalSealer | None) -> None:
    if sealer is not None and not sealer.running:
        raise RuntimeError("the journal sealing loop has stopped")
