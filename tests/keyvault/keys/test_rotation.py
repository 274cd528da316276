"""Key rotation through the HTTP API on the local keyring: rules and permissions."""

from pathlib import Path
from typing import Any

import httpx
from recon_keyvault.settings import KeyvaultSettings

from tests.keyvault.conftest import (
    BANK_ID,
    CONTEXT,
    audit_actions,
    audit_events,
    auth_headers,
    create_key,
    make_settings,
    migrate,
    serve,
)
from tests.keyvault.contract.helpers import import_material

KEYS = f"/v1/banks/{BANK_ID}/keys"
DATA_KEYS = f"/v1/banks/{BANK_ID}/data-keys"


async def _rotate(
    client: httpx.AsyncClient, key_id: str, **body: str
) -> dict[str, Any]:
    response = await client.post(f"{KEYS}/{key_id}/rotate", json=body)
    assert response.status_code == 200, response.text
    key: dict[str, Any] = response.json()
    return key


async def _current_key_id(client: httpx.AsyncClient) -> str:
    keys = (await client.get(KEYS)).json()["keys"]
    current = [key["key_id"] for key in keys if key["current"]]
    assert len(current) == 1, keys
    return current[0]


async def test_rotate_key_by_non_admin_rejected(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, key_admins="reporting")
    await migrate(settings)

    async with serve(settings) as client:
        admin = auth_headers("reporting")
        key_id = (await client.post(KEYS, json={"alias": "a"}, headers=admin)).json()[
            "key_id"
        ]
        rejected = await client.post(
            f"{KEYS}/{key_id}/rotate", json={}, headers=auth_headers("ingest")
        )
        keys = (await client.get(KEYS, headers=admin)).json()["keys"]

    assert rejected.status_code == 403
    assert rejected.json()["error"] == "KeyAdminRequired"
    assert [key["key_id"] for key in keys] == [key_id]
    assert await audit_actions(settings) == ["key.created", "keyvault.key.administer"]


async def test_rotate_unknown_key_not_found(client: httpx.AsyncClient) -> None:
    await create_key(client)

    response = await client.post(
        f"{KEYS}/00000000-0000-4000-8000-000000000000/rotate", json={}
    )

    assert response.status_code == 404
    assert response.json()["error"] == "KeyNotFound"


async def test_rotate_keeps_alias_and_description(client: httpx.AsyncClient) -> None:
    created = await client.post(
        KEYS, json={"alias": "primary", "description": "landed files"}
    )

    inherited = await _rotate(client, created.json()["key_id"])
    renamed = await _rotate(client, inherited["key_id"], alias="2027", description="")

    assert inherited["alias"] == "primary"
    assert inherited["description"] == "landed files"
    assert renamed["alias"] == "2027"
    assert renamed["description"] == ""


async def test_rotate_twice_chains_keys(client: httpx.AsyncClient) -> None:
    first = await create_key(client)
    issued = (await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})).json()

    second = (await _rotate(client, first))["key_id"]
    third = (await _rotate(client, second))["key_id"]
    opened = await client.post(
        f"{DATA_KEYS}/decrypt",
        json={"wrapped_key": issued["wrapped_key"], "encryption_context": CONTEXT},
    )

    keys = {key["key_id"]: key for key in (await client.get(KEYS)).json()["keys"]}
    assert await _current_key_id(client) == third
    assert keys[third]["rotated_from_key_id"] == second
    assert keys[second]["rotated_from_key_id"] == first
    assert keys[first]["rotated_from_key_id"] is None
    assert opened.status_code == 200
    assert opened.json()["plaintext"] == issued["plaintext"]


async def test_create_key_after_rotation_conflict(client: httpx.AsyncClient) -> None:
    first = await create_key(client)
    second = (await _rotate(client, first))["key_id"]

    response = await client.post(KEYS, json={"alias": "another"})

    assert response.status_code == 409
    assert response.json()["error"] == "KeyAlreadyExists"
    assert second in response.json()["detail"]


async def test_rotate_keeps_revoked_key_closed(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    # In development a key that never had a grant is open to every service, so
    # the successor must inherit the revoked grants to stay closed.
    key_id = await create_key(client)
    grant = await client.post(
        f"{KEYS}/{key_id}/grants",
        json={"grantee": "ingest", "operations": ["GenerateDataKey"]},
    )
    await client.delete(f"{KEYS}/{key_id}/grants/{grant.json()['grant_id']}")

    new_key_id = (await _rotate(client, key_id))["key_id"]
    response = await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
    history = await client.get(
        f"{KEYS}/{new_key_id}/grants", params={"include_revoked": "true"}
    )
    active = await client.get(f"{KEYS}/{new_key_id}/grants")

    rotated = (await audit_events(settings))[-2]
    assert response.status_code == 403
    assert response.json()["error"] == "GrantMissing"
    assert len(history.json()["grants"]) == 1
    assert history.json()["grants"][0]["revoked_at"] is not None
    assert active.json()["grants"] == []
    assert rotated.action == "key.rotated"
    assert rotated.details["carried_over_grants"] == "0"


async def test_rotate_after_successor_deletion(client: httpx.AsyncClient) -> None:
    first = await create_key(client)
    pending = (await _rotate(client, first, origin="external"))["key_id"]

    scheduled = await client.post(
        f"{KEYS}/{pending}/schedule-deletion", json={"pending_window_days": 7}
    )
    second = (await _rotate(client, first))["key_id"]

    assert scheduled.status_code == 200
    assert await _current_key_id(client) == second


async def test_superseded_successor_import_not_current(
    client: httpx.AsyncClient,
) -> None:
    # The successor's deletion is cancelled after a later rotation, so its import
    # enables it but leaves the later key current.
    first = await create_key(client)
    pending = (await _rotate(client, first, origin="external"))["key_id"]
    await client.post(
        f"{KEYS}/{pending}/schedule-deletion", json={"pending_window_days": 7}
    )
    second = (await _rotate(client, first))["key_id"]
    await client.post(f"{KEYS}/{pending}/cancel-deletion")

    imported = await import_material(client, pending)

    assert imported["state"] == "enabled"
    assert imported["current"] is False
    assert await _current_key_id(client) == second
