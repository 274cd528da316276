"""Contract: key states, crypto-shredding, deletion, material expiry and audit."""

from datetime import timedelta

import pytest

from tests.keyvault.conftest import CONTEXT, audit_actions, audit_events
from tests.keyvault.contract.conftest import Contract
from tests.keyvault.contract.helpers import (
    DATA_KEYS,
    KEYS,
    create_key,
    decrypt,
    generate,
    key_row,
    set_material_expiry,
)


async def test_contract_disabled_key_shreds_data(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    issued = await generate(contract.client, CONTEXT)

    disabled = await contract.client.post(f"{KEYS}/{key_id}/disable")
    shredded = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)
    no_new_keys = await contract.client.post(
        DATA_KEYS, json={"encryption_context": CONTEXT}
    )
    enabled = await contract.client.post(f"{KEYS}/{key_id}/enable")
    restored = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)

    assert disabled.json()["state"] == "disabled"
    assert shredded.status_code == 403
    assert shredded.json()["error"] == "KeyDisabled"
    assert no_new_keys.status_code == 403
    assert no_new_keys.json()["error"] == "KeyDisabled"
    assert enabled.json()["state"] == "enabled"
    assert restored.status_code == 200
    assert restored.json()["plaintext"] == issued["plaintext"]


async def test_contract_pending_deletion_rejects_use(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    issued = await generate(contract.client, CONTEXT)

    scheduled = await contract.client.post(
        f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": 7}
    )
    blocked = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)
    enable = await contract.client.post(f"{KEYS}/{key_id}/enable")

    body = scheduled.json()
    row = await key_row(contract.settings, key_id)
    assert scheduled.status_code == 200
    assert body["state"] == "pending_deletion"
    assert row.deletion_date is not None
    assert row.deletion_date - row.state_changed_at == timedelta(days=7)
    assert blocked.status_code == 403
    assert blocked.json()["error"] == "KeyPendingDeletion"
    assert enable.status_code == 409
    assert enable.json()["error"] == "InvalidKeyState"


async def test_contract_cancel_deletion_restores(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    issued = await generate(contract.client, CONTEXT)
    await contract.client.post(
        f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": 30}
    )

    cancelled = await contract.client.post(f"{KEYS}/{key_id}/cancel-deletion")
    restored = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)

    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "enabled"
    assert cancelled.json()["deletion_date"] is None
    assert restored.status_code == 200
    assert restored.json()["plaintext"] == issued["plaintext"]


async def test_contract_cancel_restores_disabled(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    await contract.client.post(f"{KEYS}/{key_id}/disable")
    await contract.client.post(
        f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": 7}
    )

    cancelled = await contract.client.post(f"{KEYS}/{key_id}/cancel-deletion")

    assert cancelled.json()["state"] == "disabled"


async def test_contract_cancel_after_deletion_date_rejected(
    contract: Contract,
) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    await contract.client.post(
        f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": 7}
    )
    contract.clock.advance(timedelta(days=7, seconds=1))

    cancelled = await contract.client.post(f"{KEYS}/{key_id}/cancel-deletion")

    assert cancelled.status_code == 409
    assert "was deleted" in cancelled.json()["detail"]


@pytest.mark.parametrize("days", [6, 31])
async def test_contract_deletion_window_out_of_range(
    contract: Contract, days: int
) -> None:
    key_id = (await create_key(contract.client))["key_id"]

    response = await contract.client.post(
        f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": days}
    )

    assert response.status_code == 422
    assert (await key_row(contract.settings, key_id)).state == "enabled"


async def test_contract_expired_material_rejected(contract: Contract) -> None:
    # The expiry date is written to the key row, as an import would write it, so
    # the broker's own enforcement is tested on every backend. The full import runs
    # in test_imports.py where the backend supports it.
    key_id = (await create_key(contract.client))["key_id"]
    issued = await generate(contract.client, CONTEXT)
    await set_material_expiry(
        contract.settings, key_id, contract.clock() + timedelta(hours=1)
    )

    before = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)
    contract.clock.advance(timedelta(hours=1, seconds=1))
    after = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)
    no_new_keys = await contract.client.post(
        DATA_KEYS, json={"encryption_context": CONTEXT}
    )

    assert before.status_code == 200
    assert after.status_code == 403
    assert after.json()["error"] == "KeyMaterialExpired"
    assert no_new_keys.status_code == 403
    assert no_new_keys.json()["error"] == "KeyMaterialExpired"


async def test_contract_key_changes_audited(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    grants = f"{KEYS}/{key_id}/grants"

    await contract.client.post(f"{KEYS}/{key_id}/disable")
    await contract.client.post(f"{KEYS}/{key_id}/enable")
    await contract.client.post(
        f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": 10}
    )
    await contract.client.post(f"{KEYS}/{key_id}/cancel-deletion")
    grant = await contract.client.post(
        grants, json={"grantee": "ingest", "operations": ["Decrypt"]}
    )
    await contract.client.delete(f"{grants}/{grant.json()['grant_id']}")

    events = await audit_events(contract.settings)
    assert [event.action for event in events] == [
        "key.created",
        "key.disabled",
        "key.enabled",
        "key.deletion_scheduled",
        "key.deletion_cancelled",
        "grant.created",
        "grant.revoked",
    ]
    assert {event.actor for event in events} == {"ingest"}
    assert events[0].details["backend"] == contract.backend
    assert events[3].details["pending_window_days"] == "10"
    assert events[4].details["restored_state"] == "enabled"


async def test_contract_rejected_use_audited(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    issued = await generate(contract.client, CONTEXT)
    await contract.client.post(
        f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": 7}
    )

    await decrypt(contract.client, issued["wrapped_key"], CONTEXT)

    actions = await audit_actions(contract.settings)
    denial = (await audit_events(contract.settings))[-1]
    assert actions[-1] == "data_key.Decrypt"
    assert denial.details["error"] == "KeyPendingDeletion"
