"""The backend matrix of the contract tests: local, aws-kms on moto, pkcs11 on SoftHSM2.

Every test that takes `contract` runs once per backend, with a fresh database, the
same HTTP API and a clock that the test can move forward.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from recon_keyvault.settings import KeyvaultSettings

from tests.keyvault.conftest import auth_headers, make_settings, migrate, serve
from tests.keyvault.servers import REGION

BACKENDS = ["local", "aws-kms", "pkcs11"]


@dataclass
class MovableClock:
    """The current UTC time plus an offset that tests advance."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self.offset += delta


@dataclass
class Contract:
    """One backend under test: its settings, the app's clock and a client."""

    backend: str
    settings: KeyvaultSettings
    clock: MovableClock
    client: httpx.AsyncClient


def backend_settings(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> KeyvaultSettings:
    """Return development settings that select `backend` and its server."""
    extra: dict[str, Any] = {"backend": backend}
    if backend == "aws-kms":
        extra["kms_endpoint_url"] = request.getfixturevalue("kms_endpoint")
        extra["aws_region"] = REGION
    if backend == "pkcs11":
        token = request.getfixturevalue("softhsm_token")
        extra["pkcs11_library"] = token.library
        extra["pkcs11_token_label"] = token.label
        extra["pkcs11_pin"] = token.pin
    return make_settings(tmp_path, **extra)


@pytest.fixture(params=BACKENDS)
async def contract(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Contract]:
    """Serve the broker on one backend and return it with an ingest client."""
    settings = backend_settings(request, request.param, tmp_path)
    await migrate(settings)
    clock = MovableClock()
    async with serve(settings, clock=clock) as client:
        client.headers.update(auth_headers("ingest"))
        yield Contract(
            backend=request.param, settings=settings, clock=clock, client=client
        )
