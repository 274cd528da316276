"""Contract: bring-your-own-key import and the expiry of imported material.

The local keyring runs the whole import. moto 5.2.5 has no GetParametersForImport
or ImportKeyMaterial, and the pkcs11 backend rejects imports, so the ids of those
two cases state why they do not run.
"""

import base64
import secrets
from datetime import timedelta

import pytest
from recon_keyvault.backends import WrappingAlgorithm
from recon_keyvault.backends.byok import wrap_key_material

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
)


@pytest.mark.parametrize("contract", ["local", "aws-kms"], indirect=True)
async def test_contract_external_key_pending_import(contract: Contract) -> None:
    key = await create_key(contract.client, origin="external")

    response = await contract.client.post(
        DATA_KEYS, json={"encryption_context": CONTEXT}
    )

    assert key["state"] == "pending_import"
    assert key["origin"] == "external"
    assert response.status_code == 403
    assert response.json()["error"] == "KeyPendingImport"


@pytest.mark.parametrize("contract", ["pkcs11"], indirect=True)
async def test_contract_pkcs11_external_origin_rejected(contract: Contract) -> None:
    response = await contract.client.post(
        KEYS, json={"alias": "byok", "origin": "external"}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "ImportNotSupported"


@pytest.mark.parametrize("contract", IMPORT_CASES, indirect=True)
@pytest.mark.parametrize("algorithm", list(WrappingAlgorithm))
async def test_contract_imported_material_expires(
    contract: Contract, algorithm: WrappingAlgorithm
) -> None:
    material = secrets.token_bytes(32)
    key_id = (await create_key(contract.client, origin="external"))["key_id"]
    valid_to = contract.clock() + timedelta(days=1)

    imported = await import_material(
        contract.client, key_id, material, algorithm, valid_to.isoformat()
    )
    issued = await generate(contract.client, CONTEXT)
    contract.clock.advance(timedelta(days=1, seconds=1))
    expired = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)
    await import_material(contract.client, key_id, material, algorithm, None)
    reimported = await decrypt(contract.client, issued["wrapped_key"], CONTEXT)

    events = await audit_events(contract.settings)
    assert imported["state"] == "enabled"
    assert imported["material_expires_at"] is not None
    assert expired.status_code == 403
    assert expired.json()["error"] == "KeyMaterialExpired"
    assert reimported.status_code == 200
    assert reimported.json()["plaintext"] == issued["plaintext"]
    assert [event.action for event in events] == [
        "key.created",
        "key.material_imported",
        "data_key.Decrypt",
        "key.material_imported",
    ]
    assert events[2].details["error"] == "KeyMaterialExpired"
    assert events[-1].details["material_expires_at"] == "never"


@pytest.mark.parametrize("contract", IMPORT_CASES, indirect=True)
async def test_contract_reimport_other_material_rejected(contract: Contract) -> None:
    algorithm = WrappingAlgorithm.RSAES_OAEP_SHA_256
    key_id = (await create_key(contract.client, origin="external"))["key_id"]
    valid_to = contract.clock() + timedelta(hours=1)
    await import_material(
        contract.client,
        key_id,
        secrets.token_bytes(32),
        algorithm,
        valid_to.isoformat(),
    )
    contract.clock.advance(timedelta(hours=2))
    parameters = await contract.client.post(
        f"{KEYS}/{key_id}/import-parameters", json={}
    )
    encrypted = wrap_key_material(
        secrets.token_bytes(32),
        public_key_der=base64.b64decode(parameters.json()["public_key"]),
        algorithm=algorithm,
    )

    response = await contract.client.post(
        f"{KEYS}/{key_id}/import",
        json={
            "encrypted_key_material": base64.b64encode(encrypted).decode(),
            "import_token": parameters.json()["import_token"],
        },
    )

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidImport"
    assert "other material" in response.json()["detail"]


@pytest.mark.parametrize("contract", IMPORT_CASES, indirect=True)
async def test_contract_import_wrong_token_rejected(contract: Contract) -> None:
    key_id = (await create_key(contract.client, origin="external"))["key_id"]

    response = await contract.client.post(
        f"{KEYS}/{key_id}/import",
        json={
            "encrypted_key_material": base64.b64encode(b"x" * 384).decode(),
            "import_token": base64.b64encode(b"unknown-token").decode(),
        },
    )

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidImport"


@pytest.mark.parametrize("contract", IMPORT_CASES, indirect=True)
async def test_contract_import_past_expiry_rejected(contract: Contract) -> None:
    key_id = (await create_key(contract.client, origin="external"))["key_id"]
    past = (contract.clock() - timedelta(minutes=1)).isoformat()

    response = await contract.client.post(
        f"{KEYS}/{key_id}/import",
        json={
            "encrypted_key_material": base64.b64encode(b"x" * 384).decode(),
            "import_token": base64.b64encode(b"token").decode(),
            "valid_to": past,
        },
    )

    assert response.status_code == 422
    assert "not in the future" in response.json()["detail"]


async def test_contract_generated_key_import_rejected(contract: Contract) -> None:
    key_id = (await create_key(contract.client))["key_id"]

    response = await contract.client.post(f"{KEYS}/{key_id}/import-parameters", json={})

    assert response.status_code == 422
    assert "origin `external`" in response.json()["detail"]
