"""Grant management and grant enforcement on data-key calls."""

from pathlib import Path

import httpx
from recon_common.events import AuditOutcome
from recon_common.settings import Environment
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

DATA_KEYS = f"/v1/banks/{BANK_ID}/data-keys"
DECRYPT = f"{DATA_KEYS}/decrypt"
CONTEXT_SUBSET = {"bank_id": BANK_ID}


def _grants_path(key_id: str) -> str:
    return f"/v1/banks/{BANK_ID}/keys/{key_id}/grants"


async def _grant(
    client: httpx.AsyncClient,
    key_id: str,
    grantee: str,
    operations: list[str],
    subset: dict[str, str] | None = None,
) -> str:
    response = await client.post(
        _grants_path(key_id),
        json={
            "grantee": grantee,
            "operations": operations,
            "constraints": {"encryption_context_subset": subset or {}},
        },
    )
    assert response.status_code == 200, response.text
    grant_id: str = response.json()["grant_id"]
    return grant_id


async def test_ungranted_service_rejected(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    key_id = await create_key(client)
    await _grant(client, key_id, "reporting", ["GenerateDataKey", "Decrypt"])

    response = await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})

    detail = response.json()["detail"]
    assert response.status_code == 403
    assert response.json()["error"] == "GrantMissing"
    assert "'ingest'" in detail
    assert "GenerateDataKey" in detail
    assert key_id in detail
    denial = (await audit_events(settings))[-1]
    assert denial.action == "data_key.GenerateDataKey"
    assert denial.outcome == AuditOutcome.FAILURE
    assert denial.actor == "ingest"
    assert denial.resource_id == key_id


async def test_granted_service_allowed(client: httpx.AsyncClient) -> None:
    key_id = await create_key(client)
    await _grant(client, key_id, "ingest", ["GenerateDataKey", "Decrypt"])

    issued = await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
    decrypted = await client.post(
        DECRYPT,
        json={
            "wrapped_key": issued.json()["wrapped_key"],
            "encryption_context": CONTEXT,
        },
    )

    assert issued.status_code == 200
    assert decrypted.status_code == 200


async def test_grant_limited_to_its_operations(client: httpx.AsyncClient) -> None:
    key_id = await create_key(client)
    await _grant(client, key_id, "ingest", ["GenerateDataKey"])
    issued = (await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})).json()

    response = await client.post(
        DECRYPT,
        json={"wrapped_key": issued["wrapped_key"], "encryption_context": CONTEXT},
    )

    assert response.status_code == 403
    assert response.json()["error"] == "GrantMissing"
    assert "Decrypt" in response.json()["detail"]


async def test_grant_context_constraint_allows_matching_only(
    client: httpx.AsyncClient,
) -> None:
    key_id = await create_key(client)
    await _grant(
        client, key_id, "ingest", ["GenerateDataKey"], subset={"bank_id": BANK_ID}
    )

    matching = await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
    other = await client.post(
        DATA_KEYS,
        json={"encryption_context": {**CONTEXT, "bank_id": "bank-b"}},
    )
    missing_pair = await client.post(
        DATA_KEYS, json={"encryption_context": {"object_key": "a.txt"}}
    )

    assert matching.status_code == 200
    assert other.status_code == 403
    assert other.json()["error"] == "GrantMissing"
    assert missing_pair.status_code == 403


async def test_revoked_grant_keeps_key_closed(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    key_id = await create_key(client)
    grant_id = await _grant(client, key_id, "ingest", ["GenerateDataKey"])

    revoked = await client.delete(f"{_grants_path(key_id)}/{grant_id}")
    response = await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})

    assert revoked.status_code == 204
    assert response.status_code == 403
    assert await audit_actions(settings) == [
        "key.created",
        "grant.created",
        "grant.revoked",
        "data_key.GenerateDataKey",
    ]


async def test_list_grants_hides_revoked_by_default(
    client: httpx.AsyncClient,
) -> None:
    key_id = await create_key(client)
    active_grant = await _grant(client, key_id, "ingest", ["Decrypt"], CONTEXT_SUBSET)
    revoked_grant = await _grant(client, key_id, "reporting", ["Decrypt"])
    await client.delete(f"{_grants_path(key_id)}/{revoked_grant}")

    active = (await client.get(_grants_path(key_id))).json()["grants"]
    everything = (
        await client.get(_grants_path(key_id), params={"include_revoked": "true"})
    ).json()["grants"]

    assert [grant["grant_id"] for grant in active] == [active_grant]
    assert active[0]["constraints"] == {"encryption_context_subset": CONTEXT_SUBSET}
    assert active[0]["operations"] == ["Decrypt"]
    assert {grant["grant_id"] for grant in everything} == {active_grant, revoked_grant}


async def test_revoke_unknown_grant_not_found(client: httpx.AsyncClient) -> None:
    key_id = await create_key(client)

    response = await client.delete(f"{_grants_path(key_id)}/no-such-grant")

    assert response.status_code == 404
    assert response.json()["error"] == "GrantNotFound"


async def test_grant_unknown_operation_invalid(client: httpx.AsyncClient) -> None:
    key_id = await create_key(client)

    response = await client.post(
        _grants_path(key_id), json={"grantee": "ingest", "operations": ["Encrypt"]}
    )

    assert response.status_code == 422


async def test_ungranted_key_closed_outside_development(tmp_path: Path) -> None:
    token = "i" * 40
    settings = make_settings(
        tmp_path,
        environment=Environment.TEST,
        service_tokens=f"ingest:{token}",
        key_admins="ingest",
    )
    await migrate(settings)
    headers = auth_headers("ingest", token)

    async with serve(settings) as client:
        client.headers.update(headers)
        key_id = await create_key(client)
        closed = await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
        await _grant(client, key_id, "ingest", ["GenerateDataKey"])
        opened = await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})

    assert closed.status_code == 403
    assert closed.json()["error"] == "GrantMissing"
    assert opened.status_code == 200
