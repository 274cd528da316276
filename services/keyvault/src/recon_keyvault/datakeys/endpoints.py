"""HTTP routes of envelope data keys."""

import base64

from fastapi import APIRouter
from recon_common.errors import Unauthorized, error_responses

from recon_keyvault.datakeys import service
from recon_keyvault.datakeys.schemas import (
    DataKeyOut,
    DataKeyRequest,
    DecryptOut,
    DecryptRequest,
)
from recon_keyvault.dependencies import BankDep, BrokerDep, CallerDep
from recon_keyvault.errors import (
    BankNotServed,
    GrantMissing,
    InvalidEncryptionContext,
    InvalidWrappedKey,
    KeyNotFound,
    KeyUnusable,
)

router = APIRouter(prefix="/v1/banks/{bank_id}/data-keys", tags=["data keys"])


@router.post(
    "",
    responses=error_responses(
        Unauthorized, BankNotServed, KeyNotFound, KeyUnusable, GrantMissing
    ),
)
async def generate_data_key(
    body: DataKeyRequest, bank_id: BankDep, broker: BrokerDep, caller: CallerDep
) -> DataKeyOut:
    """Return a fresh AES-256 data key and its form wrapped by the bank's key."""
    issued = await service.generate_data_key(
        broker=broker,
        bank_id=bank_id,
        caller=caller,
        encryption_context=body.encryption_context,
    )
    return DataKeyOut(
        key_id=issued.key_id,
        plaintext=base64.b64encode(issued.plaintext).decode(),
        wrapped_key=issued.wrapped_key,
    )


@router.post(
    "/decrypt",
    responses=error_responses(
        Unauthorized,
        BankNotServed,
        KeyUnusable,
        GrantMissing,
        InvalidEncryptionContext,
        InvalidWrappedKey,
    ),
)
async def decrypt_data_key(
    body: DecryptRequest, bank_id: BankDep, broker: BrokerDep, caller: CallerDep
) -> DecryptOut:
    """Return the plaintext of a wrapped data key; the context must be the same."""
    plaintext = await service.decrypt_data_key(
        broker=broker,
        bank_id=bank_id,
        caller=caller,
        wrapped_key=body.wrapped_key,
        encryption_context=body.encryption_context,
    )
    return DecryptOut(plaintext=base64.b64encode(plaintext).decode())
