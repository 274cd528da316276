"""structlog configuration bridged to the standard library.

JSON lines in production, readable console lines in development. The OpenTelemetry
trace and span ids of the current span are added to every event.
"""

import logging
import sys
from typing import Any, TextIO

import structlog
from opentelemetry import trace

from recon_common.settings import LogFormat


def _add_trace_ids(
    logger: Any, method_name: str, event_dict: dict[str, Any]
) -> dict[str, Any]:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


class _StartupRetryFilter(logging.Filter):
    """A filter that logs aiokafka's failed coordinator lookups as warnings.

    A broker that has just started has no group coordinator until it has created
    its offsets topic, and aiokafka logs each lookup it retries at error level. A
    healthy start then shows errors. The consumer keeps retrying until the
    coordinator is there, so these become warnings. Other errors keep their level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and any(
            name in record.getMessage() for name in _RETRIED_COORDINATOR_ERRORS
        ):
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True


# aiokafka error names that mean "retry the coordinator lookup".
_RETRIED_COORDINATOR_ERRORS = (
    "GroupCoordinatorNotAvailableError",
    "CoordinatorLoadInProgressError",
)
_COORDINATOR_LOGGER = "aiokafka.consumer.group_coordinator"


def configure_logging(
    *,
    service: str,
    log_format: LogFormat,
    level: str = "INFO",
    stream: TextIO | None = None,
) -> None:
    """Configure structlog and the standard library to write one format.

    Services log to stdout, where container runtimes collect it. Command-line tools
    whose stdout is their result pass `sys.stderr`.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
    ]
    renderer: Any
    if log_format == LogFormat.JSON:
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect at warning level; keep those, drop its info chatter.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    coordinator = logging.getLogger(_COORDINATOR_LOGGER)
    if not any(isinstance(item, _StartupRetryFilter) for item in coordinator.filters):
        coordinator.addFilter(_StartupRetryFilter())
    structlog.contextvars.bind_contextvars(service=service)
