"""Tests that a running reporting process ignores X-Forwarded-For from any peer.

The service is started the way `recon up` and the container start it (`serve`),
so the test covers the HTTP server's own settings as well as the application's.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recon_platform import demo
from recon_platform.stack import LocalStack, Ports, Progress


@pytest.fixture
def reporting_url(tmp_path: Path, kafka_bootstrap: str) -> Iterator[str]:
    """Start the reporting service that allows only 10.0.0.0/8, and stop it after."""
    stack = LocalStack(
        tmp_path,
        ports=Ports.find_free(),
        topic_prefix="forwarded-",
        kafka_bootstrap=kafka_bootstrap,
        extra_env={"reporting": {"ALLOWED_CIDRS": "10.0.0.0/8"}},
    )
    demo.prepare(stack, progress=Progress())
    stack.start_service("reporting")
    try:
        yield stack.url("reporting")
    finally:
        stack.down(progress=print)


def test_forwarded_header_from_loopback_ignored(reporting_url: str) -> None:
    spoofed = {"X-Forwarded-For": "10.0.0.5"}

    plain = httpx.get(f"{reporting_url}/login", timeout=10.0)
    forwarded = httpx.get(f"{reporting_url}/login", headers=spoofed, timeout=10.0)

    assert plain.status_code == 403
    assert forwarded.status_code == 403
    assert "client address 127.0.0.1" in forwarded.text
