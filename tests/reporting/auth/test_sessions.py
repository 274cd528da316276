"""Tests for server-side sessions: logout, token revocation and their audit events."""

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.runtime import ServiceRuntime
from recon_reporting.auth.tokens import SESSION_COOKIE, TokenSigner
from recon_reporting.models import AuthSession
from sqlalchemy import select, update

from tests.reporting.conftest import basic, login, make_client, outbox_events


async def issue_token(http: httpx.AsyncClient, username: str) -> str:
    response = await http.post("/api/v1/auth/token", auth=basic(username))
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def session_rows(app: FastAPI) -> list[AuthSession]:
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        return list(await session.scalars(select(AuthSession)))


async def test_cookie_reused_after_logout_rejected(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "otto")
    copied = client.cookies[SESSION_COOKIE]
    await client.post("/logout")

    async with make_client(app) as other:
        other.cookies.set(SESSION_COOKIE, copied)
        page = await other.get("/")
        api = await other.get("/api/v1/summary")

    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")
    assert api.status_code == 401


async def test_cookie_works_until_logout(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "otto")
    copied = client.cookies[SESSION_COOKIE]

    async with make_client(app) as other:
        other.cookies.set(SESSION_COOKIE, copied)
        response = await other.get("/api/v1/summary")

    assert response.status_code == 200


async def test_logout_audit_names_the_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "otto")

    await client.post("/logout")

    login_event, logout_event = await outbox_events(app)
    assert logout_event["action"] == "logout"
    assert logout_event["actor"] == "otto"
    assert logout_event["outcome"] == "success"
    assert logout_event["details"]["session"] == login_event["details"]["session"]
    assert logout_event["details"]["client_address"] == "127.0.0.1"


async def test_session_row_revoked_at_logout(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "otto")

    await client.post("/logout")

    [row] = await session_rows(app)
    assert row.username == "otto"
    assert row.kind == "browser"
    assert row.revoked_at is not None
    assert row.revoked_by == "otto"


async def test_session_row_stores_only_digest(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "otto")
    signer: TokenSigner = app.state.signer
    session_id = signer.read_session(client.cookies[SESSION_COOKIE], max_age_s=60)

    [row] = await session_rows(app)

    assert session_id is not None
    assert row.id_sha256 != session_id
    assert session_id not in row.id_sha256


async def test_session_expired_row_rejected(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "otto")
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        await session.execute(
            update(AuthSession).values(
                expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )

    response = await client.get("/api/v1/summary")

    assert response.status_code == 401


async def test_session_forged_id_rejected(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    signer: TokenSigner = app.state.signer
    client.cookies.set(SESSION_COOKIE, signer.issue_session("no-such-session"))

    response = await client.get("/api/v1/summary")

    assert response.status_code == 401


async def test_token_reused_after_admin_revoke_rejected(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await issue_token(client, "vera")

    revoked = await client.post(
        "/api/v1/auth/users/vera/sessions/revoke", auth=basic("admin")
    )
    response = await client.get("/api/v1/summary", headers=bearer(token))

    assert revoked.status_code == 200
    assert revoked.json() == {"username": "vera", "revoked_sessions": 1}
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def test_admin_revoke_ends_browser_sessions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "vera")

    async with make_client(app) as admin:
        revoked = await admin.post(
            "/api/v1/auth/users/vera/sessions/revoke", auth=basic("admin")
        )
    page = await client.get("/")

    assert revoked.json()["revoked_sessions"] == 1
    assert page.status_code == 303


async def test_admin_revoke_leaves_other_users(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    vera_token = await issue_token(client, "vera")
    otto_token = await issue_token(client, "otto")

    await client.post("/api/v1/auth/users/vera/sessions/revoke", auth=basic("admin"))
    vera = await client.get("/api/v1/summary", headers=bearer(vera_token))
    otto = await client.get("/api/v1/summary", headers=bearer(otto_token))

    assert vera.status_code == 401
    assert otto.status_code == 200


async def test_admin_revoke_audited(app: FastAPI, client: httpx.AsyncClient) -> None:
    await issue_token(client, "vera")
    await login(client, "vera")

    async with make_client(app) as admin:
        await admin.post("/api/v1/auth/users/vera/sessions/revoke", auth=basic("admin"))

    [event] = [
        event
        for event in await outbox_events(app)
        if event["action"] == "sessions.revoked"
    ]
    assert event["actor"] == "admin"
    assert event["outcome"] == "success"
    assert event["resource_type"] == "user"
    assert event["resource_id"] == "vera"
    assert event["details"]["revoked_sessions"] == "2"


async def test_revoke_by_non_administrator_forbidden_and_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await issue_token(client, "vera")

    response = await client.post(
        "/api/v1/auth/users/vera/sessions/revoke", auth=basic("aud")
    )
    still_valid = await client.get("/api/v1/summary", headers=bearer(token))

    assert response.status_code == 403
    assert response.json()["error"] == "RevocationForbidden"
    assert still_valid.status_code == 200
    [event] = [
        event
        for event in await outbox_events(app)
        if event["action"] == "sessions.revoked"
    ]
    assert event["actor"] == "aud"
    assert event["outcome"] == "failure"


async def test_token_reused_after_own_revoke_rejected(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await issue_token(client, "vera")

    revoked = await client.post("/api/v1/auth/token/revoke", headers=bearer(token))
    response = await client.get("/api/v1/summary", headers=bearer(token))

    assert revoked.status_code == 204
    assert response.status_code == 401
    actions = [event["action"] for event in await outbox_events(app)]
    assert actions == ["login", "logout"]


async def test_token_revoke_without_token_rejected(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/auth/token/revoke", auth=basic("vera"))

    assert response.status_code == 401


async def test_browser_session_not_accepted_as_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(client, "otto")
    signer: TokenSigner = app.state.signer
    session_id = signer.read_session(client.cookies[SESSION_COOKIE], max_age_s=60)
    assert session_id is not None
    client.cookies.clear()

    response = await client.get(
        "/api/v1/summary", headers=bearer(signer.issue_api_token(session_id))
    )

    assert response.status_code == 401
