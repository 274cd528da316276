"""Contract: the broker enforces grants the same way on every backend."""

from tests.keyvault.conftest import BANK_ID, CONTEXT
from tests.keyvault.contract.conftest import Contract
from tests.keyvault.contract.helpers import (
    DATA_KEYS,
    KEYS,
    create_key,
    decrypt,
    generate,
)


async def _grant(
    contract: Contract,
    key_id: str,
    grantee: str,
    operations: list[str],
    subset: dict[str, str] | None = None,
) -> str:
    response = await contract.client.post(
        f"{KEYS}/{key_id}/grants",
        json={
            "grantee": grantee,
            "operations": operations,
            "constraints": {"encryption_context_subset": subset or {}},
        },
    )
    assert response.status_code == 200, response.text
    grant_id: str = response.json()["grant_id"]
    return grant_id


async def test_contract_grant_limits_service(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    await _grant(contract, key_id, "reporting", ["GenerateDataKey", "Decrypt"])

    response = await contract.client.post(
        DATA_KEYS, json={"encryption_context": CONTEXT}
    )

    assert response.status_code == 403
    assert response.json()["error"] == "GrantMissing"


async def test_contract_grant_limits_operation(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    await _grant(contract, key_id, "ingest", ["GenerateDataKey"])
    issued = await generate(contract.client, CONTEXT)

    response = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)

    assert response.status_code == 403
    assert response.json()["error"] == "GrantMissing"


async def test_contract_grant_context_subset(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    await _grant(
        contract,
        key_id,
        "ingest",
        ["GenerateDataKey", "Decrypt"],
        subset={"bank_id": BANK_ID},
    )

    matching = await generate(contract.client, CONTEXT)
    opened = await decrypt(contract.client, matching["wrapped_key"], CONTEXT)
    other = await contract.client.post(
        DATA_KEYS, json={"encryption_context": {**CONTEXT, "bank_id": "bank-b"}}
    )

    assert opened.status_code == 200
    assert opened.json()["plaintext"] == matching["plaintext"]
    assert other.status_code == 403
    assert other.json()["error"] == "GrantMissing"


async def test_contract_revoked_grant_closes_key(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]
    grant_id = await _grant(contract, key_id, "ingest", ["GenerateDataKey", "Decrypt"])
    issued = await generate(contract.client, CONTEXT)

    revoked = await contract.client.delete(f"{KEYS}/{key_id}/grants/{grant_id}")
    response = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)

    assert revoked.status_code == 204
    assert response.status_code == 403
    assert response.json()["error"] == "GrantMissing"
