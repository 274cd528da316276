"""Tests for the journal API: the service token guards every route but health."""

import httpx
from fastapi import FastAPI
from recon_audit.models import JournalEntry

from tests.common.protected_routes import protected_requests


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_list_journal_without_token_rejected(
    client: httpx.AsyncClient, journal_entry: JournalEntry
) -> None:
    response = await client.get("/v1/journal")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "InvalidServiceToken"
    assert "AUDIT_SERVICE_TOKEN" in response.json()["detail"]
    assert journal_entry.entry_hash not in response.text


async def test_list_journal_wrong_token_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get("/v1/journal", headers=_bearer(service_token[1:]))

    assert response.status_code == 401
    assert response.json()["error"] == "InvalidServiceToken"


async def test_list_journal_with_token(
    client: httpx.AsyncClient, service_token: str, journal_entry: JournalEntry
) -> None:
    response = await client.get(
        "/v1/journal?action=file.rejected", headers=_bearer(service_token)
    )

    entries = response.json()["entries"]
    assert response.status_code == 200
    assert len(entries) == 1
    assert entries[0]["entry_hash"] == journal_entry.entry_hash


async def test_verify_journal_without_token_rejected(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/journal/verify")

    assert response.status_code == 401


async def test_verify_journal_wrong_token_rejected(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/journal/verify", headers=_bearer("guess"))

    assert response.status_code == 401


async def test_verify_journal_with_token(
    client: httpx.AsyncClient, service_token: str, journal_entry: JournalEntry
) -> None:
    response = await client.get("/v1/journal/verify", headers=_bearer(service_token))

    body = response.json()
    assert response.status_code == 200
    assert body["valid"] is True
    assert body["entries"] == 1


async def test_every_audit_route_requires_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    requests = protected_requests(app)

    assert ("GET", "/v1/journal/verify") in requests
    for method, path in requests:
        response = await client.request(method, path)
        assert response.status_code == 401, f"{method} {path}"


async def test_audit_health_open_without_token(client: httpx.AsyncClient) -> None:
    healthz = await client.get("/healthz")
    readyz = await client.get("/readyz")

    assert healthz.status_code == 200
    # Kafka is not started here, so readiness may be 503, but never 401.
    assert readyz.status_code != 401
    assert "database" in readyz.json()["checks"]


async def test_audit_openapi_open_without_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    operation = response.json()["paths"]["/v1/journal"]["get"]
    assert response.status_code == 200
    assert operation["security"] == [{"ServiceToken": []}]
