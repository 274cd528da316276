"""A whole platform per test module: five service processes on PostgreSQL and Kafka.

The services run as real processes started by `recon_platform.stack.LocalStack`,
each with its own PostgreSQL database, sharing the session's Kafka broker under a
topic prefix of their own. Files go in through OpenSSH's `sftp` client.
"""

import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from recon_platform import demo
from recon_platform.infra.postgres import create_database, drop_database
from recon_platform.stack import SERVICE_ORDER, LocalStack, Ports, Progress


class Platform:
    """A running stack plus the helpers that tests use to drive it."""

    def __init__(self, stack: LocalStack, day: demo.DemoDay) -> None:
        self.stack = stack
        self.day = day
        self.key_path = day.folder / "sftp-key"
        self.known_hosts = day.folder / "known_hosts"

    def write_known_hosts(self) -> None:
        """Pin the ingest service's host key for the `sftp` client."""
        host_key = asyncssh.read_private_key(
            self.stack.service_dir("ingest") / "sftp-host-key"
        )
        public = host_key.export_public_key().decode().strip()
        port = self.stack.ports.of("sftp")
        self.known_hosts.write_text(f"[127.0.0.1]:{port} {public}\n")

    def sftp(
        self, username: str, commands: list[str], *, key_path: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run OpenSSH's `sftp` in batch mode with `commands` as one user."""
        batch = self.day.folder / f"batch-{uuid.uuid4().hex[:8]}"
        batch.write_text("\n".join(commands) + "\n")
        return subprocess.run(
            [
                "sftp",
                "-b",
                str(batch),
                "-i",
                str(key_path or self.key_path),
                "-P",
                str(self.stack.ports.of("sftp")),
                "-o",
                f"UserKnownHostsFile={self.known_hosts}",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "PasswordAuthentication=no",
                "-o",
                "ConnectTimeout=20",
                f"{username}@127.0.0.1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def get(self, service: str, path: str, **options: Any) -> Any:
        """GET a JSON resource of a service with the service token, and decode it."""
        headers = self.stack.service_headers() | options.pop("headers", {})
        response = httpx.get(
            f"{self.stack.url(service)}{path}", headers=headers, timeout=10.0, **options
        )
        response.raise_for_status()
        return response.json()

    def wait_until(
        self, condition: Callable[[], bool], *, timeout_s: float, what: str
    ) -> None:
        """Poll `condition` every half second until it is true or time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")

    def files_by_name(self) -> dict[str, dict[str, Any]]:
        """Return the landed files of the ingest service by file name."""
        page = self.get("ingest", "/v1/files?limit=500")
        return {item["filename"]: item for item in page["files"]}


@pytest.fixture(scope="module")
async def live_platform(
    kafka_bootstrap: str,
    postgres_admin_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    """Start the five services on fresh PostgreSQL databases for one test module."""
    suffix = uuid.uuid4().hex[:8]
    names = {service: f"e2e_{service}_{suffix}" for service in SERVICE_ORDER}
    urls = {
        service: await create_database(postgres_admin_url, name)
        for service, name in names.items()
    }
    stack = LocalStack(
        tmp_path_factory.mktemp("platform"),
        ports=Ports.find_free(),
        database_urls=urls,
        topic_prefix=f"e2e{suffix}-",
        kafka_bootstrap=kafka_bootstrap,
        extra_env={
            "ingest": {"MAX_UPLOAD_BYTES": str(2 * 1024 * 1024), "CHUNK_SIZE": "100"}
        },
    )
    progress = Progress()
    day = demo.prepare(stack, progress=progress)
    stack.up(progress=progress)
    running = Platform(stack, day)
    running.write_known_hosts()
    try:
        yield running
    finally:
        stack.down(progress=progress)
        for name in names.values():
            await drop_database(postgres_admin_url, name)
