"""Bank key creation, listing and state changes through the HTTP API."""

from pathlib import Path

import httpx
from recon_common.settings import Environment
from recon_keyvault.settings import KeyvaultSettings

from tests.keyvault.conftest import (
    BANK_ID,
    audit_actions,
    audit_events,
    auth_headers,
    create_key,
    make_settings,
    migrate,
    serve,
)

KEYS = f"/v1/banks/{BANK_ID}/keys"


async def test_create_key_returns_enabled_key(client: httpx.AsyncClient) -> None:
    response = await client.post(
        KEYS, json={"alias": "primary", "description": "bank key for landed files"}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["state"] == "enabled"
    assert body["alias"] == "primary"
    assert body["backend"] == "local"
    assert body["created_at"].endswith(("Z", "+00:00"))


async def test_create_key_response_has_no_material(client: httpx.AsyncClient) -> None:
    response = await client.post(KEYS, json={"alias": "primary"})

    assert set(response.json()) == {
        "key_id",
        "bank_id",
        "alias",
        "description",
        "state",
        "origin",
        "deletion_date",
        "material_expires_at",
        "backend",
        "current",
        "rotated_from_key_id",
        "created_by",
        "created_at",
        "state_changed_at",
    }


async def test_create_key_twice_conflict(client: httpx.AsyncClient) -> None:
    key_id = await create_key(client)

    response = await client.post(KEYS, json={"alias": "second"})

    assert response.status_code == 409
    assert response.json()["error"] == "KeyAlreadyExists"
    assert key_id in response.json()["detail"]
    assert f"{key_id}/rotate" in response.json()["detail"]


async def test_list_keys_shows_state(client: httpx.AsyncClient) -> None:
    key_id = await create_key(client)
    await client.post(f"{KEYS}/{key_id}/disable")

    response = await client.get(KEYS)

    keys = response.json()["keys"]
    assert [(key["key_id"], key["state"]) for key in keys] == [(key_id, "disabled")]


async def test_disable_unknown_key_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{KEYS}/00000000-0000-4000-8000-000000000000/disable")

    assert response.status_code == 404
    assert response.json()["error"] == "KeyNotFound"


async def test_key_changes_audited(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    key_id = await create_key(client)

    await client.post(f"{KEYS}/{key_id}/disable")
    await client.post(f"{KEYS}/{key_id}/disable")
    await client.post(f"{KEYS}/{key_id}/enable")

    events = await audit_events(settings)
    assert [event.action for event in events] == [
        "key.created",
        "key.disabled",
        "key.enabled",
    ]
    assert {event.resource_id for event in events} == {key_id}
    assert {event.actor for event in events} == {"ingest"}
    assert events[1].details["previous_state"] == "enabled"


async def test_create_key_by_non_admin_rejected(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, key_admins="reporting")
    await migrate(settings)

    async with serve(settings) as client:
        response = await client.post(
            KEYS, json={"alias": "primary"}, headers=auth_headers("ingest")
        )
        allowed = await client.post(
            KEYS, json={"alias": "primary"}, headers=auth_headers("reporting")
        )

    assert response.status_code == 403
    assert response.json()["error"] == "KeyAdminRequired"
    assert "KEYVAULT_KEY_ADMINS" in response.json()["detail"]
    assert allowed.status_code == 200
    assert await audit_actions(settings) == ["keyvault.key.administer", "key.created"]


async def test_create_key_without_admins_rejected(
    tmp_path: Path,
) -> None:
    token = "i" * 40
    settings = make_settings(
        tmp_path, environment=Environment.TEST, service_tokens=f"ingest:{token}"
    )
    await migrate(settings)

    async with serve(settings) as client:
        response = await client.post(
            KEYS, json={"alias": "primary"}, headers=auth_headers("ingest", token)
        )

    assert response.status_code == 403
    assert response.json()["error"] == "KeyAdminRequired"


async def test_default_token_outside_development_unauthorized(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, environment=Environment.TEST)
    await migrate(settings)

    async with serve(settings) as client:
        response = await client.get(KEYS, headers=auth_headers("ingest"))

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def test_production_token_checked_per_service(tmp_path: Path) -> None:
    ingest_token = "i" * 40
    settings = make_settings(
        tmp_path,
        environment=Environment.PRODUCTION,
        master_key="m" * 40,
        service_token="s" * 40,
        service_tokens=f"ingest:{ingest_token},reporting:{'r' * 40}",
        key_admins="ingest",
    )
    await migrate(settings)

    async with serve(settings) as client:
        wrong_service = await client.get(
            KEYS, headers=auth_headers("reporting", ingest_token)
        )
        default_token = await client.get(KEYS, headers=auth_headers("ingest"))
        right = await client.get(KEYS, headers=auth_headers("ingest", ingest_token))

    assert wrong_service.status_code == 401
    assert default_token.status_code == 401
    assert right.status_code == 200
