"""Tests for the landed-file API: the service token guards every route but health."""

import httpx
from fastapi import FastAPI
from recon_ingest.models import LandedFile

from tests.common.protected_routes import protected_requests


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_list_files_without_token_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/files")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "InvalidServiceToken"
    assert "INGEST_SERVICE_TOKEN" in response.json()["detail"]


async def test_list_files_wrong_token_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get("/v1/files", headers=_bearer(service_token + "x"))

    assert response.status_code == 401
    assert response.json()["error"] == "InvalidServiceToken"


async def test_list_files_with_token(
    client: httpx.AsyncClient, service_token: str, rejected_file: LandedFile
) -> None:
    response = await client.get("/v1/files", headers=_bearer(service_token))

    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 1
    assert body["files"][0]["file_id"] == rejected_file.file_id
    assert body["files"][0]["rejection_reason"] == rejected_file.rejection_reason


async def test_get_file_without_token_rejected(
    client: httpx.AsyncClient, rejected_file: LandedFile
) -> None:
    response = await client.get(f"/v1/files/{rejected_file.file_id}")

    assert response.status_code == 401
    assert "rejection_reason" not in response.text


async def test_get_file_with_token(
    client: httpx.AsyncClient, service_token: str, rejected_file: LandedFile
) -> None:
    response = await client.get(
        f"/v1/files/{rejected_file.file_id}", headers=_bearer(service_token)
    )

    assert response.status_code == 200
    assert response.json()["filename"] == rejected_file.filename


async def test_unknown_file_without_token_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/files/no-such-file")

    assert response.status_code == 401


async def test_every_ingest_route_requires_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    requests = protected_requests(app)

    assert ("GET", "/v1/files") in requests
    for method, path in requests:
        response = await client.request(method, path)
        assert response.status_code == 401, f"{method} {path}"


async def test_ingest_health_open_without_token(client: httpx.AsyncClient) -> None:
    healthz = await client.get("/healthz")
    readyz = await client.get("/readyz")

    assert healthz.status_code == 200
    # Kafka is not started here, so readiness may be 503, but never 401.
    assert readyz.status_code != 401
    assert "database" in readyz.json()["checks"]


async def test_ingest_openapi_open_without_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    operation = response.json()["paths"]["/v1/files"]["get"]
    assert response.status_code == 200
    assert operation["security"] == [{"ServiceToken": []}]
    assert "401" in operation["responses"]
