"""Tests for `GET /v1/alarms`: the service token guards it, and it lists alarms."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from recon_audit.app import create_app
from recon_audit.models import OutboxMessage, ProcessedEvent
from recon_audit.settings import AuditSettings
from recon_common.runtime import ServiceRuntime, attach_runtime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.alarms.conftest import (
    SECRET_ACCOUNT,
    AlarmHarness,
    audit_envelope,
    audit_settings,
    harness_for,
)


@pytest.fixture
def settings(database_url: str) -> AuditSettings:
    return audit_settings(database_url)


@pytest.fixture
async def client(settings: AuditSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Serve the audit app without its lifespan, so Kafka does not start."""
    application: FastAPI = create_app(settings)
    runtime = ServiceRuntime(
        settings=settings, outbox_model=OutboxMessage, processed_model=ProcessedEvent
    )
    attach_runtime(application, runtime)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://audit"
        ) as http:
            yield http
    finally:
        await runtime.stop()


@pytest.fixture
async def harness(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AlarmHarness:
    """Journal a key change and a rejected file, which raise two alarms."""
    harness = harness_for(
        sessions,
        tmp_path,
        {"rules": [{"name": "rejections", "match": {"keywords": ["rejected"]}}]},
    )
    await harness.journal(audit_envelope(action="key.disabled", resource_id="key-9"))
    await harness.journal(
        audit_envelope(action="file.rejected", details={"account": SECRET_ACCOUNT})
    )
    return harness


def _bearer(settings: AuditSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.service_token.get_secret_value()}"}


async def test_list_alarms_without_token_rejected(
    client: httpx.AsyncClient, harness: AlarmHarness
) -> None:
    response = await client.get("/v1/alarms")

    assert response.status_code == 401
    assert response.json()["error"] == "InvalidServiceToken"
    assert "key-9" not in response.text


async def test_list_alarms_with_token(
    client: httpx.AsyncClient, settings: AuditSettings, harness: AlarmHarness
) -> None:
    response = await client.get("/v1/alarms", headers=_bearer(settings))

    body = response.json()
    assert response.status_code == 200
    assert [alarm["rule"] for alarm in body["alarms"]] == [
        "permission-changes",
        "rejections",
    ]
    assert body["alarms"][0]["resource_id"] == "key-9"
    assert body["alarms"][0]["sequences"] == [1]
    assert body["alarms"][0]["delivery_state"] == "no_targets"
    assert body["next_after_id"] is None
    assert SECRET_ACCOUNT not in response.text


async def test_list_alarms_filtered_and_paged(
    client: httpx.AsyncClient, settings: AuditSettings, harness: AlarmHarness
) -> None:
    first = await client.get("/v1/alarms?limit=1", headers=_bearer(settings))
    after = first.json()["next_after_id"]
    second = await client.get(
        f"/v1/alarms?limit=1&after_id={after}", headers=_bearer(settings)
    )
    filtered = await client.get("/v1/alarms?rule=rejections", headers=_bearer(settings))

    assert [alarm["rule"] for alarm in second.json()["alarms"]] == ["rejections"]
    assert [alarm["rule"] for alarm in filtered.json()["alarms"]] == ["rejections"]


async def test_list_alarms_invalid_state_rejected(
    client: httpx.AsyncClient, settings: AuditSettings
) -> None:
    response = await client.get(
        "/v1/alarms?delivery_state=lost", headers=_bearer(settings)
    )

    assert response.status_code == 422
