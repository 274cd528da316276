"""Tests `recon demo` on a platform started with `recon up` on an empty folder.

The matcher then starts without definitions, so the demo has to hand them over
through its API. The steps are those of `cli.cmd_demo`, on the session's broker.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recon_platform import demo
from recon_platform.stack import LocalStack, Ports, Progress


@pytest.fixture
def running_stack(tmp_path: Path, kafka_bootstrap: str) -> Iterator[LocalStack]:
    """Start every service on an empty data folder, and stop them after the test."""
    stack = LocalStack(
        tmp_path,
        ports=Ports.find_free(),
        topic_prefix=f"demo{uuid.uuid4().hex[:8]}-",
        kafka_bootstrap=kafka_bootstrap,
    )
    stack.up(progress=print)
    try:
        yield stack
    finally:
        stack.down(progress=print)


def test_demo_on_running_stack_matches(running_stack: LocalStack) -> None:
    progress = Progress()
    day = demo.prepare(running_stack, progress=progress)

    demo.save_definitions(running_stack, day, progress=progress)
    demo.run_upload(running_stack, day, progress=progress)
    summary = demo.wait_for_results(running_stack, day, progress=progress)

    assert summary["matched"] > 0
    assert summary["unassigned"] == 0


def test_demo_definitions_saved_twice_kept(running_stack: LocalStack) -> None:
    progress = Progress()
    day = demo.prepare(running_stack, progress=progress)
    demo.save_definitions(running_stack, day, progress=progress)

    demo.save_definitions(running_stack, day, progress=progress)

    first = day.definitions[0]["id"]
    versions = httpx.get(
        f"{running_stack.url('matcher')}/v1/definitions/{first}/versions",
        headers={
            **running_stack.service_headers(),
            "X-Acting-User": demo.DEMO_ACTOR,
            "X-Acting-Role": "viewer",
        },
        timeout=10.0,
    )
    assert versions.status_code == 200
    assert len(versions.json()) == 1
