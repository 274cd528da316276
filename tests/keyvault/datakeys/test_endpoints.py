"""Data-key generation and decryption through the HTTP API."""

import asyncio
import base64
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


async def _generate(
    client: httpx.AsyncClient, context: dict[str, str] = CONTEXT
) -> dict[str, str]:
    response = await client.post(DATA_KEYS, json={"encryption_context": context})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def _flip_last_byte(wrapped_key: str) -> str:
    prefix, _, payload = wrapped_key.rpartition(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[-1] ^= 0x01
    altered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return f"{prefix}.{altered}"


async def test_data_key_round_trip(client: httpx.AsyncClient) -> None:
    key_id = await create_key(client)
    issued = await _generate(client)

    response = await client.post(
        DECRYPT,
        json={"wrapped_key": issued["wrapped_key"], "encryption_context": CONTEXT},
    )

    assert response.status_code == 200
    assert response.json()["plaintext"] == issued["plaintext"]
    assert issued["key_id"] == key_id
    assert len(base64.b64decode(issued["plaintext"])) == 32


async def test_data_key_fresh_on_each_call(client: httpx.AsyncClient) -> None:
    await create_key(client)

    first = await _generate(client)
    second = await _generate(client)

    assert first["plaintext"] != second["plaintext"]
    assert first["wrapped_key"] != second["wrapped_key"]


async def test_decrypt_other_context_rejected(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    await create_key(client)
    issued = await _generate(client)
    other_context = {**CONTEXT, "object_key": "landed/2026-12-04/other.txt"}

    response = await client.post(
        DECRYPT,
        json={
            "wrapped_key": issued["wrapped_key"],
            "encryption_context": other_context,
        },
    )

    assert response.status_code == 403
    assert response.json()["error"] == "InvalidEncryptionContext"
    denial = (await audit_events(settings))[-1]
    assert denial.action == "data_key.Decrypt"
    assert denial.outcome == AuditOutcome.FAILURE
    assert denial.details["error"] == "InvalidEncryptionContext"


async def test_decrypt_extra_context_pair_rejected(client: httpx.AsyncClient) -> None:
    await create_key(client)
    issued = await _generate(client)

    response = await client.post(
        DECRYPT,
        json={
            "wrapped_key": issued["wrapped_key"],
            "encryption_context": {**CONTEXT, "purpose": "report"},
        },
    )

    assert response.status_code == 403
    assert response.json()["error"] == "InvalidEncryptionContext"


async def test_decrypt_tampered_wrapped_key_rejected(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    await create_key(client)
    issued = await _generate(client)

    response = await client.post(
        DECRYPT,
        json={
            "wrapped_key": _flip_last_byte(issued["wrapped_key"]),
            "encryption_context": CONTEXT,
        },
    )

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidWrappedKey"
    assert (await audit_events(settings))[-1].details["error"] == "InvalidWrappedKey"


async def test_decrypt_malformed_wrapped_key_rejected(
    client: httpx.AsyncClient,
) -> None:
    await create_key(client)

    response = await client.post(
        DECRYPT, json={"wrapped_key": "not-a-wrapped-key", "encryption_context": {}}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidWrappedKey"


async def test_decrypt_unknown_key_id_rejected(client: httpx.AsyncClient) -> None:
    await create_key(client)
    issued = await _generate(client)
    version, _, fingerprint, payload = issued["wrapped_key"].split(".")
    forged = f"{version}.00000000-0000-4000-8000-000000000000.{fingerprint}.{payload}"

    response = await client.post(
        DECRYPT, json={"wrapped_key": forged, "encryption_context": CONTEXT}
    )

    assert response.status_code == 422
    assert "does not have" in response.json()["detail"]


async def test_disabled_key_blocks_decrypt(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    key_id = await create_key(client)
    issued = await _generate(client)
    request = {"wrapped_key": issued["wrapped_key"], "encryption_context": CONTEXT}

    disabled = await client.post(f"/v1/banks/{BANK_ID}/keys/{key_id}/disable")
    blocked = await client.post(DECRYPT, json=request)
    blocked_generate = await client.post(
        DATA_KEYS, json={"encryption_context": CONTEXT}
    )
    enabled = await client.post(f"/v1/banks/{BANK_ID}/keys/{key_id}/enable")
    restored = await client.post(DECRYPT, json=request)

    assert disabled.json()["state"] == "disabled"
    assert blocked.status_code == 403
    assert blocked.json()["error"] == "KeyDisabled"
    assert blocked_generate.status_code == 403
    assert enabled.json()["state"] == "enabled"
    assert restored.status_code == 200
    assert restored.json()["plaintext"] == issued["plaintext"]
    assert await audit_actions(settings) == [
        "key.created",
        "key.disabled",
        "data_key.Decrypt",
        "data_key.GenerateDataKey",
        "key.enabled",
    ]


async def test_generate_auto_creates_key_in_development(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    issued = await _generate(client)

    keys = (await client.get(f"/v1/banks/{BANK_ID}/keys")).json()["keys"]
    events = await audit_events(settings)
    assert [key["key_id"] for key in keys] == [issued["key_id"]]
    assert [event.action for event in events] == ["key.created"]
    assert events[0].details["auto_created"] == "true"
    assert events[0].actor == "ingest"


async def test_generate_no_key_production_not_found(tmp_path: Path) -> None:
    token = "t" * 40
    settings = make_settings(
        tmp_path,
        environment=Environment.PRODUCTION,
        master_key="m" * 40,
        service_token="s" * 40,
        service_tokens=f"ingest:{token}",
    )
    await migrate(settings)

    async with serve(settings) as client:
        response = await client.post(
            DATA_KEYS,
            json={"encryption_context": CONTEXT},
            headers=auth_headers("ingest", token),
        )

    assert response.status_code == 404
    assert response.json()["error"] == "KeyNotFound"
    assert "recon-keyvault create-key" in response.json()["detail"]


async def test_generate_without_token_unauthorized(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    response = await client.post(
        DATA_KEYS,
        json={"encryption_context": CONTEXT},
        headers={"Authorization": "Bearer wrong-token", "X-Service": "ingest"},
    )

    assert response.status_code == 401
    assert await audit_actions(settings) == ["keyvault.authenticate"]


async def test_generate_for_other_bank_rejected(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    response = await client.post(
        "/v1/banks/bank-b/data-keys", json={"encryption_context": CONTEXT}
    )

    assert response.status_code == 403
    assert response.json()["error"] == "BankNotServed"
    assert await audit_actions(settings) == ["keyvault.bank.access"]


async def test_successful_data_key_calls_not_audited(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    await create_key(client)
    issued = await _generate(client)

    await client.post(
        DECRYPT,
        json={"wrapped_key": issued["wrapped_key"], "encryption_context": CONTEXT},
    )

    assert await audit_actions(settings) == ["key.created"]


async def test_generate_concurrent_calls_share_key(
    client: httpx.AsyncClient, settings: KeyvaultSettings
) -> None:
    responses = await asyncio.gather(*(_generate(client) for _ in range(5)))

    keys = (await client.get(f"/v1/banks/{BANK_ID}/keys")).json()["keys"]
    assert len(keys) == 1
    assert {response["key_id"] for response in responses} == {keys[0]["key_id"]}
    assert await audit_actions(settings) == ["key.created"]
