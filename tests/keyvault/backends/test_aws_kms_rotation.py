"""Rotation on the aws-kms backend against a real `moto_server`.

With a configured KMS key ARN the broker cannot create new material, so the bank
creates the new KMS key itself, changes the setting and then rotates.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session
from recon_keyvault.settings import KeyvaultSettings

from tests.keyvault.conftest import (
    BANK_ID,
    CONTEXT,
    auth_headers,
    make_settings,
    migrate,
    serve,
)
from tests.keyvault.contract.helpers import key_row
from tests.keyvault.servers import REGION

KEYS = f"/v1/banks/{BANK_ID}/keys"
DATA_KEYS = f"/v1/banks/{BANK_ID}/data-keys"


@pytest.fixture
async def kms(kms_endpoint: str) -> AsyncIterator[Any]:
    """Return a raw KMS client on moto, to arrange and inspect KMS itself."""
    async with get_session().create_client(
        "kms", region_name=REGION, endpoint_url=kms_endpoint
    ) as client:
        yield client


async def _kms_key(kms: Any) -> str:
    created = await kms.create_key(Description="bank-a key made by the bank")
    arn: str = created["KeyMetadata"]["Arn"]
    return arn


def _settings(tmp_path: Path, kms_endpoint: str, key_arn: str) -> KeyvaultSettings:
    return make_settings(
        tmp_path,
        backend="aws-kms",
        kms_endpoint_url=kms_endpoint,
        aws_region=REGION,
        kms_key_arn=key_arn,
    )


async def test_kms_same_configured_arn_rotation_rejected(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, kms_endpoint, await _kms_key(kms))
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        key_id = (await client.post(KEYS, json={"alias": "bank"})).json()["key_id"]
        response = await client.post(f"{KEYS}/{key_id}/rotate", json={})
        keys = (await client.get(KEYS)).json()["keys"]

    assert response.status_code == 409
    assert response.json()["error"] == "RotationUnavailable"
    assert "KEYVAULT_KMS_KEY_ARN" in response.json()["detail"]
    assert [(key["key_id"], key["current"]) for key in keys] == [(key_id, True)]


async def test_kms_new_configured_arn_rotation(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    old_arn = await _kms_key(kms)
    new_arn = await _kms_key(kms)
    old_settings = _settings(tmp_path, kms_endpoint, old_arn)
    await migrate(old_settings)
    async with serve(old_settings) as client:
        client.headers.update(auth_headers("ingest"))
        old_key_id = (await client.post(KEYS, json={"alias": "bank"})).json()["key_id"]
        grant = await client.post(
            f"{KEYS}/{old_key_id}/grants",
            json={"grantee": "ingest", "operations": ["GenerateDataKey", "Decrypt"]},
        )
        before = (
            await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
        ).json()

    async with serve(_settings(tmp_path, kms_endpoint, new_arn)) as client:
        client.headers.update(auth_headers("ingest"))
        rotated = await client.post(f"{KEYS}/{old_key_id}/rotate", json={})
        after = (
            await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
        ).json()
        old_opened = await client.post(
            f"{DATA_KEYS}/decrypt",
            json={"wrapped_key": before["wrapped_key"], "encryption_context": CONTEXT},
        )

    new_key_id = rotated.json()["key_id"]
    new_row = await key_row(old_settings, new_key_id)
    kms_grants = (await kms.list_grants(KeyId=new_arn))["Grants"]
    assert grant.status_code == 200
    assert rotated.status_code == 200
    assert new_row.backend_key_ref == new_arn
    assert (await key_row(old_settings, old_key_id)).backend_key_ref == old_arn
    assert after["key_id"] == new_key_id
    assert old_opened.status_code == 200
    assert old_opened.json()["plaintext"] == before["plaintext"]
    assert [kms_grant["Operations"] for kms_grant in kms_grants] == [
        ["Decrypt", "GenerateDataKey"]
    ]
