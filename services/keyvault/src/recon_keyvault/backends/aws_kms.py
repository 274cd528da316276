"""The AWS KMS backend: each bank key is a KMS symmetric key.

Data keys come from `GenerateDataKey` (AES_256) and are unwrapped by `Decrypt` with
the same encryption context and the key's ARN as `KeyId`, so KMS itself binds the
context. The key is the ARN in `kms_key_arn`, used as-is, so a key in the bank's
own account works when its key policy allows this account. Without that setting the
broker creates one KMS key per bank key in its own account.

The broker mirrors its state changes (`DisableKey`, `EnableKey`,
`ScheduleKeyDeletion`, `CancelKeyDeletion`) and grants (`CreateGrant` with an
`EncryptionContextSubset` constraint, `RevokeGrant`) into KMS, and it reads KMS's
own state with `DescribeKey`. KMS accepts state changes only from the key's own
account, so the state of a key in another account stays the bank's to set. The
broker checks its own state, grants and material expiry before every call in any
case, because an emulator such as moto does not.
"""

import asyncio
import re
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

import structlog
from aiobotocore.session import get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
)

from recon_keyvault.backends.base import (
    BackendKeyStatus,
    DataKeyMaterial,
    ImportParameters,
    WrappingAlgorithm,
)
from recon_keyvault.errors import (
    InvalidImport,
    InvalidWrappedKey,
    KeyDisabled,
    KeyMaterialUnavailable,
    KeyPendingDeletion,
    KeyPendingImport,
    KeyUnusable,
)
from recon_keyvault.models import KeyState

log = structlog.get_logger(__name__)

_KMS_STATES = {
    "Enabled": KeyState.ENABLED,
    "Disabled": KeyState.DISABLED,
    "PendingDeletion": KeyState.PENDING_DELETION,
    "PendingReplicaDeletion": KeyState.PENDING_DELETION,
    "PendingImport": KeyState.PENDING_IMPORT,
}
_IMPORT_ERRORS = frozenset(
    {
        "ExpiredImportTokenException",
        "IncorrectKeyMaterialException",
        "InvalidCiphertextException",
        "InvalidImportTokenException",
    }
)
_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:(?P<account>\d{12}):key/(?P<key_id>.+)$"
)
_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{12}):assumed-role/"
    r"(?P<role>[^/]+)/[^/]+$"
)


def _error_code(error: ClientError) -> str:
    code: str = error.response.get("Error", {}).get("Code", "")
    return code


def grantee_from_caller_arn(arn: str) -> str:
    """Return the IAM principal for a grant from an STS caller identity ARN.

    An assumed-role session ARN becomes its role ARN, because KMS rejects session
    ARNs as grantees. A role created under a path loses the path here.
    """
    match = _ASSUMED_ROLE.match(arn)
    if match is None:
        return arn
    return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}"


class AwsKmsBackend:
    """Bank keys in AWS KMS, reached with aiobotocore."""

    name = "aws-kms"

    def __init__(
        self,
        *,
        key_arn: str,
        region: str | None,
        endpoint_url: str | None,
        grantee_principal: str,
    ) -> None:
        self._key_arn = key_arn
        self._region = region
        self._endpoint_url = endpoint_url
        self._grantee_principal = grantee_principal
        self._caller_arn = ""
        self._stack: AsyncExitStack | None = None
        self._clients: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def _client(self, service: str) -> Any:
        async with self._lock:
            if service not in self._clients:
                if self._stack is None:
                    self._stack = AsyncExitStack()
                context = get_session().create_client(
                    service, region_name=self._region, endpoint_url=self._endpoint_url
                )
                self._clients[service] = await self._stack.enter_async_context(context)
            return self._clients[service]

    async def close(self) -> None:
        """Close the KMS and STS clients."""
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = None
        self._clients.clear()

    async def create_key(self, *, bank_id: str, key_id: str, external: bool) -> str:
        """Return the configured key ARN, or create a KMS key and return its ARN."""
        if self._key_arn:
            return self._key_arn
        kms = await self._client("kms")
        response = await self._call(
            kms.create_key,
            Description=f"recon bank key {key_id} of bank {bank_id}",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Origin="EXTERNAL" if external else "AWS_KMS",
            Tags=[
                {"TagKey": "recon:bank_id", "TagValue": bank_id},
                {"TagKey": "recon:key_id", "TagValue": key_id},
            ],
        )
        arn: str = response["KeyMetadata"]["Arn"]
        log.info("keyvault.kms.key_created", bank_id=bank_id, key_arn=arn)
        return arn

    async def describe_key(self, *, key_ref: str) -> BackendKeyStatus:
        """Return the key's KMS state, deletion date and material expiry."""
        kms = await self._client("kms")
        metadata = (await self._call(kms.describe_key, KeyId=key_ref))["KeyMetadata"]
        valid_to: datetime | None = metadata.get("ValidTo")
        if metadata.get("ExpirationModel") != "KEY_MATERIAL_EXPIRES":
            valid_to = None
        return BackendKeyStatus(
            # KMS states outside the map (Creating, Updating, Unavailable) allow
            # no use, like a disabled key.
            state=_KMS_STATES.get(metadata["KeyState"], KeyState.DISABLED),
            deletion_date=metadata.get("DeletionDate"),
            material_expires_at=valid_to,
        )

    async def apply_state(
        self, *, key_ref: str, state: KeyState, pending_window_days: int | None
    ) -> None:
        """Bring the KMS key into `state` from whatever state KMS reports."""
        kms = await self._client("kms")
        current = (await self.describe_key(key_ref=key_ref)).state
        if current == state or state == KeyState.PENDING_IMPORT:
            return
        key_ref = await self._own_key_id(key_ref)
        if not key_ref:
            log.info(
                "keyvault.kms.state_not_mirrored",
                state=state.value,
                reason="the key belongs to another account",
            )
            return
        if state == KeyState.PENDING_DELETION:
            await self._call(
                kms.schedule_key_deletion,
                KeyId=key_ref,
                PendingWindowInDays=pending_window_days,
            )
            return
        if current == KeyState.PENDING_DELETION:
            # KMS leaves a key disabled when its deletion is cancelled.
            await self._call(kms.cancel_key_deletion, KeyId=key_ref)
        if state == KeyState.ENABLED:
            await self._call(kms.enable_key, KeyId=key_ref)
        elif current == KeyState.ENABLED:
            await self._call(kms.disable_key, KeyId=key_ref)

    async def generate_data_key(
        self, *, key_ref: str, encryption_context: Mapping[str, str]
    ) -> DataKeyMaterial:
        """Return a data key from `GenerateDataKey` under the encryption context."""
        kms = await self._client("kms")
        response = await self._data_call(
            key_ref,
            kms.generate_data_key,
            KeyId=key_ref,
            KeySpec="AES_256",
            EncryptionContext=dict(encryption_context),
        )
        return DataKeyMaterial(
            plaintext=response["Plaintext"], wrapped=response["CiphertextBlob"]
        )

    async def decrypt_data_key(
        self, *, key_ref: str, wrapped: bytes, encryption_context: Mapping[str, str]
    ) -> bytes:
        """Unwrap a data key with `Decrypt`, naming the key and the context."""
        kms = await self._client("kms")
        response = await self._data_call(
            key_ref,
            kms.decrypt,
            KeyId=key_ref,
            CiphertextBlob=wrapped,
            EncryptionContext=dict(encryption_context),
        )
        plaintext: bytes = response["Plaintext"]
        return plaintext

    async def create_grant(
        self,
        *,
        key_ref: str,
        grant_id: str,
        grantee: str,
        operations: Sequence[str],
        context_subset: Mapping[str, str],
    ) -> str | None:
        """Create a KMS grant for the broker's principal with the same constraint.

        KMS receives calls from the broker's principal only, so the grant limits
        what the broker itself may do with the key. The broker checks the calling
        service.
        """
        kms = await self._client("kms")
        options: dict[str, Any] = {
            "KeyId": key_ref,
            "GranteePrincipal": await self._grantee(),
            "Operations": list(operations),
            "Name": f"recon-{grant_id}",
        }
        if context_subset:
            options["Constraints"] = {"EncryptionContextSubset": dict(context_subset)}
        response = await self._call(kms.create_grant, **options)
        backend_grant_id: str = response["GrantId"]
        log.info(
            "keyvault.kms.grant_created",
            key_arn=key_ref,
            grant_id=grant_id,
            grantee=grantee,
            kms_grant_id=backend_grant_id,
        )
        return backend_grant_id

    async def revoke_grant(self, *, key_ref: str, backend_grant_id: str) -> None:
        """Revoke the KMS grant."""
        kms = await self._client("kms")
        await self._call(kms.revoke_grant, KeyId=key_ref, GrantId=backend_grant_id)

    async def get_import_parameters(
        self, *, key_ref: str, wrapping_algorithm: WrappingAlgorithm
    ) -> ImportParameters:
        """Return the public key and token from `GetParametersForImport`."""
        kms = await self._client("kms")
        # TODO: moto 5.2.5 lacks GetParametersForImport and ImportKeyMaterial, so
        # this call and the one in `import_key_material` have not run in tests.
        response = await self._call(
            kms.get_parameters_for_import,
            KeyId=key_ref,
            WrappingAlgorithm=wrapping_algorithm.value,
            WrappingKeySpec="RSA_3072",
        )
        return ImportParameters(
            public_key=response["PublicKey"],
            import_token=response["ImportToken"],
            valid_to=response["ParametersValidTo"],
        )

    async def import_key_material(
        self,
        *,
        key_ref: str,
        encrypted_material: bytes,
        import_token: bytes,
        valid_to: datetime | None,
    ) -> None:
        """Import wrapped material with `ImportKeyMaterial`, expiring at `valid_to`."""
        kms = await self._client("kms")
        options: dict[str, Any] = {
            "KeyId": key_ref,
            "ImportToken": import_token,
            "EncryptedKeyMaterial": encrypted_material,
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }
        if valid_to is not None:
            options["ExpirationModel"] = "KEY_MATERIAL_EXPIRES"
            options["ValidTo"] = valid_to
        try:
            await kms.import_key_material(**options)
        except ClientError as error:
            if _error_code(error) in _IMPORT_ERRORS:
                raise InvalidImport(
                    f"KMS rejected the imported material ({_error_code(error)}); "
                    "request new import parameters and wrap the material again"
                ) from None
            raise self._unavailable(error) from None

    async def check(self) -> None:
        """Raise unless `DescribeKey` succeeds for the configured key."""
        if self._key_arn:
            await self.describe_key(key_ref=self._key_arn)
            return
        kms = await self._client("kms")
        await self._call(kms.list_keys, Limit=1)

    async def _grantee(self) -> str:
        if not self._grantee_principal:
            self._grantee_principal = grantee_from_caller_arn(await self._caller())
        return self._grantee_principal

    async def _caller(self) -> str:
        if not self._caller_arn:
            sts = await self._client("sts")
            identity = await self._call(sts.get_caller_identity)
            self._caller_arn = identity["Arn"]
        return self._caller_arn

    async def _own_key_id(self, key_ref: str) -> str:
        """Return the bare key id of a key in the caller's account, else ""."""
        match = _KEY_ARN.match(key_ref)
        if match is None:
            return key_ref
        caller_account = (await self._caller()).split(":")[4]
        if match["account"] != caller_account:
            return ""
        # A bare key id, because moto 5.2.5 returns HTTP 500 for state changes that
        # name the key by ARN. AWS accepts either form in the caller's account.
        return match["key_id"]

    async def _data_call(self, key_ref: str, method: Any, **options: Any) -> Any:
        try:
            return await method(**options)
        except ClientError as error:
            code = _error_code(error)
            if code in {"InvalidCiphertextException", "IncorrectKeyException"}:
                raise InvalidWrappedKey(
                    "KMS rejected the wrapped key: it was altered, truncated or "
                    "made by another key"
                ) from None
            if code in {"DisabledException", "KMSInvalidStateException"}:
                raise await self._unusable(key_ref) from None
            raise self._unavailable(error) from None
        except BotoCoreError as error:
            raise self._unavailable(error) from None

    async def _unusable(self, key_ref: str) -> KeyUnusable:
        state = (await self.describe_key(key_ref=key_ref)).state
        message = f"KMS reports key {key_ref} as {state.value}, so it cannot be used"
        if state == KeyState.PENDING_DELETION:
            return KeyPendingDeletion(message)
        if state == KeyState.PENDING_IMPORT:
            return KeyPendingImport(message)
        return KeyDisabled(message)

    async def _call(self, method: Any, **options: Any) -> Any:
        try:
            return await method(**options)
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from None

    def _unavailable(self, error: Exception) -> KeyMaterialUnavailable:
        log.error("keyvault.kms.call_failed", error=str(error))
        return KeyMaterialUnavailable(
            f"the KMS call failed: {error}; check the key ARN, the region and the "
            "broker's IAM permissions"
        )
