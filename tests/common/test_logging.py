"""Service logs are JSON lines on stdout, with the trace ids of the current span."""

import json
import logging

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider
from recon_common.logging import configure_logging
from recon_common.settings import LogFormat


def test_json_logs_go_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="ingest", log_format=LogFormat.JSON, level="INFO")
    tracer = TracerProvider().get_tracer(__name__)

    with tracer.start_as_current_span("work") as span:
        structlog.get_logger("test").info("ingest.file.landed", file_id="f-1")
        trace_id = format(span.get_span_context().trace_id, "032x")
    captured = capsys.readouterr()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()

    record = json.loads(captured.out.strip().splitlines()[-1])
    assert captured.err == ""
    assert record["event"] == "ingest.file.landed"
    assert record["file_id"] == "f-1"
    assert record["service"] == "ingest"
    assert record["level"] == "info"
    assert record["trace_id"] == trace_id


@pytest.mark.parametrize(
    ("message", "expected_level"),
    [
        (
            "Group Coordinator Request failed: [Error 15] "
            "GroupCoordinatorNotAvailableError",
            "warning",
        ),
        ("Unexpected error in coordinator routine", "error"),
    ],
)
def test_coordinator_retry_logged_as_warning(
    capsys: pytest.CaptureFixture[str], message: str, expected_level: str
) -> None:
    configure_logging(service="audit", log_format=LogFormat.JSON, level="INFO")

    logging.getLogger("aiokafka.consumer.group_coordinator").error(message)
    captured = capsys.readouterr()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()

    record = json.loads(captured.out.strip().splitlines()[-1])
    assert record["event"] == message
    assert record["level"] == expected_level
