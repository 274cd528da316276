"""The service token on the matcher's read routes and on every other route."""

import httpx
from fastapi import FastAPI
from matcher_action_factories import RECONCILIATION_ID, feed, item, ledger

from tests.common.protected_routes import protected_requests


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_list_reconciliations_without_token_rejected(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/reconciliations")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "InvalidServiceToken"
    assert "MATCHER_SERVICE_TOKEN" in response.json()["detail"]


async def test_list_reconciliations_wrong_token_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get(
        "/v1/reconciliations", headers=_bearer(service_token.upper())
    )

    assert response.status_code == 401
    assert response.json()["error"] == "InvalidServiceToken"


async def test_list_reconciliations_with_token(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "file-1", [item("s1", "100.00"), ledger("l1", "100.00")])

    response = await client.get("/v1/reconciliations", headers=_bearer(service_token))

    body = response.json()
    assert response.status_code == 200
    assert body[0]["reconciliation_id"] == RECONCILIATION_ID
    assert body[0]["transactions"] == 2
    assert body[0]["matched"] == 2


async def test_every_matcher_route_requires_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    requests = protected_requests(app)

    assert ("GET", "/v1/reconciliations") in requests
    for method, path in requests:
        response = await client.request(method, path)
        assert response.status_code == 401, f"{method} {path}"


async def test_matcher_health_open_without_token(client: httpx.AsyncClient) -> None:
    healthz = await client.get("/healthz")
    readyz = await client.get("/readyz")

    assert healthz.status_code == 200
    # Kafka is not started here, so readiness may be 503, but never 401.
    assert readyz.status_code != 401
    assert "database" in readyz.json()["checks"]


async def test_matcher_openapi_open_without_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    operation = response.json()["paths"]["/v1/reconciliations"]["get"]
    assert response.status_code == 200
    assert operation["security"] == [{"ServiceToken": []}]


async def test_approvals_without_acting_user_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get(
        "/v1/approvals", params={"state": "pending"}, headers=_bearer(service_token)
    )

    detail = response.json()["detail"]
    assert response.status_code == 400
    assert response.json()["error"] == "MissingActingUser"
    assert "missing X-Acting-User and X-Acting-Role headers;" in detail
    assert "the service token is valid" in detail


async def test_approvals_without_role_names_role_header(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get(
        "/v1/approvals",
        headers={**_bearer(service_token), "X-Acting-User": "otto"},
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("missing X-Acting-Role header;")


async def test_approvals_long_user_name_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get(
        "/v1/approvals",
        headers={
            **_bearer(service_token),
            "X-Acting-User": "a" * 201,
            "X-Acting-Role": "approver",
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "InvalidActingUser"
    assert "201 characters long" in response.json()["detail"]
