"""Tests for the login form, logout, bearer tokens and their audit events."""

import httpx
from fastapi import FastAPI

from tests.reporting.conftest import PASSWORD, basic, login, outbox_events


async def test_login_success_sets_session_and_audits(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await login(client, "otto")

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "recon_session" in response.cookies
    [event] = await outbox_events(app)
    assert event["action"] == "login"
    assert event["outcome"] == "success"
    assert event["actor"] == "otto"
    assert event["details"]["method"] == "form"


async def test_login_wrong_password_rejected_and_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await login(client, "otto", "wrong password")

    assert response.status_code == 401
    assert "Invalid username or password." in response.text
    assert "recon_session" not in response.cookies
    [event] = await outbox_events(app)
    assert event["action"] == "login"
    assert event["outcome"] == "failure"
    assert event["details"]["client_address"] == "127.0.0.1"


async def test_login_unknown_user_rejected_and_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await login(client, "mallory")

    assert response.status_code == 401
    [event] = await outbox_events(app)
    assert event["actor"] == "mallory"
    assert event["outcome"] == "failure"


async def test_page_without_session_redirects_to_login(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/breaks", params={"age_band": "2-7d"})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/breaks%3Fage_band%3D2-7d"


async def test_login_rejects_offsite_next(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login",
        data={"username": "otto", "password": PASSWORD, "next": "//evil.example/"},
    )

    assert response.headers["location"] == "/"


async def test_logout_ends_session(app: FastAPI, client: httpx.AsyncClient) -> None:
    await login(client, "otto")

    await client.post("/logout")
    response = await client.get("/")

    assert response.status_code == 303
    assert [event["action"] for event in await outbox_events(app)] == [
        "login",
        "logout",
    ]


async def test_token_grants_api_access(app: FastAPI, client: httpx.AsyncClient) -> None:
    issued = await client.post("/api/v1/auth/token", auth=basic("vera"))
    token = issued.json()["access_token"]

    response = await client.get(
        "/api/v1/summary", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    [event] = await outbox_events(app)
    assert event["details"]["method"] == "token"


async def test_token_forged_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/summary", headers={"Authorization": "Bearer eyJ1IjoiYWRtaW4ifQ.x.y"}
    )

    assert response.status_code == 401


async def test_session_cookie_not_accepted_as_token(client: httpx.AsyncClient) -> None:
    await login(client, "otto")
    cookie = client.cookies["recon_session"]
    client.cookies.clear()

    response = await client.get(
        "/api/v1/summary", headers={"Authorization": f"Bearer {cookie}"}
    )

    assert response.status_code == 401


async def test_basic_wrong_password_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/summary", auth=basic("vera", "nope"))

    assert response.status_code == 401
    [event] = await outbox_events(app)
    assert event["outcome"] == "failure"
    assert event["details"]["method"] == "basic"
