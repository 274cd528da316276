"""The aws-kms backend against a real `moto_server`: key ARNs, KMS state and grants."""

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session
from recon_keyvault.backends.aws_kms import grantee_from_caller_arn

from tests.keyvault.conftest import (
    BANK_ID,
    CONTEXT,
    auth_headers,
    make_settings,
    migrate,
    serve,
)
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


def _settings(tmp_path: Path, kms_endpoint: str, key_arn: str = "") -> Any:
    return make_settings(
        tmp_path,
        backend="aws-kms",
        kms_endpoint_url=kms_endpoint,
        aws_region=REGION,
        kms_key_arn=key_arn,
    )


async def _kms_state(kms: Any, key_arn: str) -> str:
    state: str = (await kms.describe_key(KeyId=key_arn))["KeyMetadata"]["KeyState"]
    return state


async def test_kms_configured_arn_used_as_is(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    key_arn = await _kms_key(kms)
    settings = _settings(tmp_path, kms_endpoint, key_arn)
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        created = await client.post(KEYS, json={"alias": "bank"})
        issued = (
            await client.post(DATA_KEYS, json={"encryption_context": CONTEXT})
        ).json()

    blob = _backend_bytes(issued["wrapped_key"])
    direct = await kms.decrypt(
        CiphertextBlob=blob, EncryptionContext=CONTEXT, KeyId=key_arn
    )
    assert created.json()["state"] == "enabled"
    assert direct["KeyId"] == key_arn
    assert _b64(direct["Plaintext"]) == issued["plaintext"]


async def test_kms_adopted_disabled_key_disabled(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    key_arn = await _kms_key(kms)
    await kms.disable_key(KeyId=key_arn.rsplit("/", 1)[1])
    settings = _settings(tmp_path, kms_endpoint, key_arn)
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        created = await client.post(KEYS, json={"alias": "bank"})

    assert created.json()["state"] == "disabled"


async def test_kms_adopted_pending_deletion_key(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    key_arn = await _kms_key(kms)
    await kms.schedule_key_deletion(
        KeyId=key_arn.rsplit("/", 1)[1], PendingWindowInDays=7
    )
    settings = _settings(tmp_path, kms_endpoint, key_arn)
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        created = await client.post(KEYS, json={"alias": "bank"})
        key_id = created.json()["key_id"]
        cancelled = await client.post(f"{KEYS}/{key_id}/cancel-deletion")

    assert created.json()["state"] == "pending_deletion"
    assert created.json()["deletion_date"] is not None
    assert cancelled.json()["state"] == "disabled"
    assert await _kms_state(kms, key_arn) == "Disabled"


async def test_kms_state_mirrors_broker(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    key_arn = await _kms_key(kms)
    settings = _settings(tmp_path, kms_endpoint, key_arn)
    await migrate(settings)
    states: list[str] = []

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        key_id = (await client.post(KEYS, json={"alias": "bank"})).json()["key_id"]
        await client.post(f"{KEYS}/{key_id}/disable")
        states.append(await _kms_state(kms, key_arn))
        await client.post(f"{KEYS}/{key_id}/enable")
        states.append(await _kms_state(kms, key_arn))
        await client.post(
            f"{KEYS}/{key_id}/schedule-deletion", json={"pending_window_days": 7}
        )
        states.append(await _kms_state(kms, key_arn))
        await client.post(f"{KEYS}/{key_id}/cancel-deletion")
        states.append(await _kms_state(kms, key_arn))

    assert states == ["Disabled", "Enabled", "PendingDeletion", "Enabled"]


async def test_kms_key_created_per_bank_key(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, kms_endpoint)
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        key_id = (await client.post(KEYS, json={"alias": "bank"})).json()["key_id"]

    keys = await kms.list_keys()
    tagged = []
    for entry in keys["Keys"]:
        tags = await kms.list_resource_tags(KeyId=entry["KeyId"])
        values = {tag["TagKey"]: tag["TagValue"] for tag in tags["Tags"]}
        if values.get("recon:key_id") == key_id:
            tagged.append(values)
    assert tagged == [{"recon:bank_id": BANK_ID, "recon:key_id": key_id}]


async def test_kms_grant_mirrored_and_revoked(
    kms: Any, kms_endpoint: str, tmp_path: Path
) -> None:
    key_arn = await _kms_key(kms)
    settings = _settings(tmp_path, kms_endpoint, key_arn)
    await migrate(settings)

    async with serve(settings) as client:
        client.headers.update(auth_headers("ingest"))
        key_id = (await client.post(KEYS, json={"alias": "bank"})).json()["key_id"]
        grant = await client.post(
            f"{KEYS}/{key_id}/grants",
            json={
                "grantee": "ingest",
                "operations": ["Decrypt", "GenerateDataKey"],
                "constraints": {"encryption_context_subset": {"bank_id": BANK_ID}},
            },
        )
        grant_id = grant.json()["grant_id"]
        mirrored = (await kms.list_grants(KeyId=key_arn))["Grants"]
        await client.delete(f"{KEYS}/{key_id}/grants/{grant_id}")
        after_revoke = (await kms.list_grants(KeyId=key_arn))["Grants"]

    assert len(mirrored) == 1
    assert mirrored[0]["Name"] == f"recon-{grant_id}"
    assert sorted(mirrored[0]["Operations"]) == ["Decrypt", "GenerateDataKey"]
    assert mirrored[0]["Constraints"] == {
        "EncryptionContextSubset": {"bank_id": BANK_ID}
    }
    assert mirrored[0]["GranteePrincipal"].startswith("arn:aws:")
    assert after_revoke == []


async def test_kms_unreachable_reported(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback has no KMS, so the readiness check fails fast.
    settings = _settings(tmp_path, "http://127.0.0.1:9", "")
    await migrate(settings)

    async with serve(settings) as client:
        response = await client.get("/readyz")

    assert response.json()["checks"]["key_backend"] != "ok"


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/recon-keyvault/session-1",
            "arn:aws:iam::123456789012:role/recon-keyvault",
        ),
        (
            "arn:aws:iam::123456789012:user/moto",
            "arn:aws:iam::123456789012:user/moto",
        ),
    ],
)
def test_grantee_from_caller_arn(caller: str, expected: str) -> None:
    assert grantee_from_caller_arn(caller) == expected


def _backend_bytes(wrapped_key: str) -> bytes:
    payload = wrapped_key.rsplit(".", 1)[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
