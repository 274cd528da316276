"""OpenTelemetry set-up: a tracer provider, OTLP export when configured.

Spans are exported only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, so a local run
costs nothing. FastAPI, httpx and SQLAlchemy are instrumented; Kafka spans come from
the outbox relay and the consumer, which carry W3C trace context in message headers.
"""

import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

_configured = False


def configure_tracing(service: str) -> None:
    """Install the global tracer provider once per process."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    _configured = True


def tracing_configured() -> bool:
    """Return whether `configure_tracing` ran in this process."""
    return _configured


def instrument_app(app: FastAPI) -> None:
    """Trace every request of `app`."""
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")


def instrument_engine(engine: AsyncEngine) -> None:
    """Trace every SQL statement of `engine`."""
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)
