"""Contract: rotating the bank's key keeps old data readable and carries grants.

Generated rotations run on every backend. An external successor runs on `local`
(the whole import) and on `aws-kms` up to `pending_import`, because moto 5.2.5 has
no ImportKeyMaterial. The pkcs11 backend has no import, so it rejects an external
successor.
"""

from typing import Any

import pytest

from tests.keyvault.conftest import CONTEXT, audit_events
from tests.keyvault.contract.conftest import Contract
from tests.keyvault.contract.helpers import (
    DATA_KEYS,
    IMPORT_CASES,
    KEYS,
    create_key,
    decrypt,
    generate,
    import_material,
    key_row,
)

OTHER_CONTEXT = {**CONTEXT, "object_key": "landed/2026-12-05/camt053.xml"}


async def _rotate(contract: Contract, key_id: str, **body: str) -> dict[str, Any]:
    response = await contract.client.post(f"{KEYS}/{key_id}/rotate", json=body)
    assert response.status_code == 200, response.text
    key: dict[str, Any] = response.json()
    return key


async def _keys_by_id(contract: Contract) -> dict[str, dict[str, Any]]:
    keys = (await contract.client.get(KEYS)).json()["keys"]
    return {key["key_id"]: key for key in keys}


async def _grant(contract: Contract, key_id: str, grantee: str) -> str:
    response = await contract.client.post(
        f"{KEYS}/{key_id}/grants",
        json={
            "grantee": grantee,
            "operations": ["GenerateDataKey", "Decrypt"],
            "constraints": {"encryption_context_subset": {"bank_id": "bank-a"}},
        },
    )
    assert response.status_code == 200, response.text
    grant_id: str = response.json()["grant_id"]
    return grant_id


async def test_contract_rotation_old_data_key_decrypts(contract: Contract) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]
    before = await generate(contract.client, CONTEXT)

    rotated = await _rotate(contract, old_key_id)
    after = await generate(contract.client, OTHER_CONTEXT)
    old_opened = await decrypt(contract.client, before["wrapped_key"], CONTEXT)
    new_opened = await decrypt(contract.client, after["wrapped_key"], OTHER_CONTEXT)

    keys = await _keys_by_id(contract)
    assert rotated["key_id"] != old_key_id
    assert rotated["current"] is True
    assert rotated["state"] == "enabled"
    assert rotated["rotated_from_key_id"] == old_key_id
    assert rotated["alias"] == "primary"
    assert after["key_id"] == rotated["key_id"]
    assert after["wrapped_key"].startswith(f"kv1.{rotated['key_id']}.")
    assert old_opened.status_code == 200
    assert old_opened.json()["plaintext"] == before["plaintext"]
    assert new_opened.status_code == 200
    assert new_opened.json()["plaintext"] == after["plaintext"]
    assert keys[old_key_id]["current"] is False
    assert keys[old_key_id]["state"] == "enabled"


async def test_contract_rotation_new_material(contract: Contract) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]

    new_key_id = (await _rotate(contract, old_key_id))["key_id"]

    old_row = await key_row(contract.settings, old_key_id)
    new_row = await key_row(contract.settings, new_key_id)
    assert new_row.backend_key_ref != old_row.backend_key_ref
    assert new_row.backend == contract.backend


async def test_contract_disable_old_key_shreds_old_only(contract: Contract) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]
    before = await generate(contract.client, CONTEXT)
    await _rotate(contract, old_key_id)
    after = await generate(contract.client, CONTEXT)

    disabled = await contract.client.post(f"{KEYS}/{old_key_id}/disable")
    old_opened = await decrypt(contract.client, before["wrapped_key"], CONTEXT)
    new_opened = await decrypt(contract.client, after["wrapped_key"], CONTEXT)
    new_data_key = await contract.client.post(
        DATA_KEYS, json={"encryption_context": CONTEXT}
    )

    assert disabled.status_code == 200
    assert old_opened.status_code == 403
    assert old_opened.json()["error"] == "KeyDisabled"
    assert new_opened.status_code == 200
    assert new_opened.json()["plaintext"] == after["plaintext"]
    assert new_data_key.status_code == 200


async def test_contract_old_key_deletion_shreds_old_only(contract: Contract) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]
    before = await generate(contract.client, CONTEXT)
    await _rotate(contract, old_key_id)
    after = await generate(contract.client, CONTEXT)

    scheduled = await contract.client.post(
        f"{KEYS}/{old_key_id}/schedule-deletion", json={"pending_window_days": 7}
    )
    old_opened = await decrypt(contract.client, before["wrapped_key"], CONTEXT)
    new_opened = await decrypt(contract.client, after["wrapped_key"], CONTEXT)

    assert scheduled.status_code == 200
    assert old_opened.status_code == 403
    assert old_opened.json()["error"] == "KeyPendingDeletion"
    assert new_opened.status_code == 200


async def test_contract_rotation_carries_grants(contract: Contract) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]
    old_grant_id = await _grant(contract, old_key_id, "ingest")
    before = await generate(contract.client, CONTEXT)

    new_key_id = (await _rotate(contract, old_key_id))["key_id"]
    after = await contract.client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
    old_opened = await decrypt(contract.client, before["wrapped_key"], CONTEXT)
    other_bank = await contract.client.post(
        DATA_KEYS, json={"encryption_context": {**CONTEXT, "bank_id": "bank-b"}}
    )
    new_grants = (await contract.client.get(f"{KEYS}/{new_key_id}/grants")).json()
    old_grants = (await contract.client.get(f"{KEYS}/{old_key_id}/grants")).json()

    copied = new_grants["grants"]
    assert after.status_code == 200
    assert after.json()["key_id"] == new_key_id
    assert old_opened.status_code == 200
    assert other_bank.status_code == 403
    assert other_bank.json()["error"] == "GrantMissing"
    assert len(copied) == 1
    assert copied[0]["grantee"] == "ingest"
    assert copied[0]["key_id"] == new_key_id
    assert copied[0]["grant_id"] != old_grant_id
    assert copied[0]["constraints"] == {
        "encryption_context_subset": {"bank_id": "bank-a"}
    }
    assert sorted(copied[0]["operations"]) == ["Decrypt", "GenerateDataKey"]
    assert [grant["grant_id"] for grant in old_grants["grants"]] == [old_grant_id]


async def test_contract_rotation_audited(contract: Contract) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]
    old_grant_id = await _grant(contract, old_key_id, "ingest")

    new_key_id = (await _rotate(contract, old_key_id, alias="2027"))["key_id"]

    events = await audit_events(contract.settings)
    assert [event.action for event in events] == [
        "key.created",
        "grant.created",
        "key.created",
        "grant.created",
        "key.rotated",
    ]
    assert {event.actor for event in events} == {"ingest"}
    assert events[2].resource_id == new_key_id
    assert events[2].details["rotated_from_key_id"] == old_key_id
    assert events[2].details["alias"] == "2027"
    assert events[3].details["key_id"] == new_key_id
    assert events[3].details["carried_over_from_grant_id"] == old_grant_id
    assert events[4].resource_id == old_key_id
    assert events[4].details["new_key_id"] == new_key_id
    assert events[4].details["carried_over_grants"] == "1"


async def test_contract_rotate_old_key_rejected(contract: Contract) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]
    new_key_id = (await _rotate(contract, old_key_id))["key_id"]

    response = await contract.client.post(f"{KEYS}/{old_key_id}/rotate", json={})

    assert response.status_code == 409
    assert response.json()["error"] == "InvalidKeyState"
    assert new_key_id in response.json()["detail"]


async def test_contract_rotate_disabled_current_key(contract: Contract) -> None:
    # A bank whose current key is disabled gets a usable key again by rotating.
    old_key_id = (await create_key(contract.client))["key_id"]
    await contract.client.post(f"{KEYS}/{old_key_id}/disable")

    rotated = await _rotate(contract, old_key_id)
    issued = await contract.client.post(DATA_KEYS, json={"encryption_context": CONTEXT})

    keys = await _keys_by_id(contract)
    assert rotated["state"] == "enabled"
    assert issued.status_code == 200
    assert issued.json()["key_id"] == rotated["key_id"]
    assert keys[old_key_id]["state"] == "disabled"


@pytest.mark.parametrize("contract", ["local", "aws-kms"], indirect=True)
async def test_contract_external_successor_waits_for_import(
    contract: Contract,
) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]

    successor = await _rotate(contract, old_key_id, origin="external")
    issued = await generate(contract.client, CONTEXT)
    again = await contract.client.post(f"{KEYS}/{old_key_id}/rotate", json={})

    keys = await _keys_by_id(contract)
    assert successor["state"] == "pending_import"
    assert successor["origin"] == "external"
    assert successor["current"] is False
    assert successor["rotated_from_key_id"] == old_key_id
    assert issued["key_id"] == old_key_id
    assert keys[old_key_id]["current"] is True
    assert again.status_code == 409
    assert again.json()["error"] == "InvalidKeyState"
    assert successor["key_id"] in again.json()["detail"]


@pytest.mark.parametrize("contract", ["pkcs11"], indirect=True)
async def test_contract_pkcs11_external_successor_rejected(
    contract: Contract,
) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]

    response = await contract.client.post(
        f"{KEYS}/{old_key_id}/rotate", json={"origin": "external"}
    )

    keys = await _keys_by_id(contract)
    assert response.status_code == 422
    assert response.json()["error"] == "ImportNotSupported"
    assert list(keys) == [old_key_id]
    assert keys[old_key_id]["current"] is True


@pytest.mark.parametrize("contract", IMPORT_CASES, indirect=True)
async def test_contract_external_successor_import_completes(
    contract: Contract,
) -> None:
    old_key_id = (await create_key(contract.client))["key_id"]
    await _grant(contract, old_key_id, "ingest")
    before = await generate(contract.client, CONTEXT)
    successor_id = (await _rotate(contract, old_key_id, origin="external"))["key_id"]
    events_before_import = len(await audit_events(contract.settings))

    imported = await import_material(contract.client, successor_id)
    after = await generate(contract.client, CONTEXT)
    old_opened = await decrypt(contract.client, before["wrapped_key"], CONTEXT)
    new_grants = (await contract.client.get(f"{KEYS}/{successor_id}/grants")).json()

    keys = await _keys_by_id(contract)
    events = (await audit_events(contract.settings))[events_before_import:]
    assert imported["state"] == "enabled"
    assert imported["current"] is True
    assert keys[old_key_id]["current"] is False
    assert keys[old_key_id]["state"] == "enabled"
    assert after["key_id"] == successor_id
    assert old_opened.status_code == 200
    assert old_opened.json()["plaintext"] == before["plaintext"]
    assert [grant["grantee"] for grant in new_grants["grants"]] == ["ingest"]
    assert [event.action for event in events] == [
        "key.material_imported",
        "grant.created",
        "key.rotated",
    ]
    assert events[2].details["new_key_origin"] == "external"
