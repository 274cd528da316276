"""HTTP routes of bank keys."""

import base64
import binascii

from fastapi import APIRouter
from recon_common.errors import InvalidRequest, Unauthorized, error_responses

from recon_keyvault.dependencies import (
    BankDep,
    BrokerDep,
    CallerDep,
    KeyAdminDep,
    SessionDep,
)
from recon_keyvault.errors import (
    BankNotServed,
    ImportNotSupported,
    InvalidImport,
    InvalidKeyState,
    KeyAdminRequired,
    KeyAlreadyExists,
    KeyNotFound,
    RotationUnavailable,
)
from recon_keyvault.keys import importing, rotation, service
from recon_keyvault.keys.schemas import (
    DeletionSchedule,
    ImportParametersOut,
    ImportParametersRequest,
    KeyCreate,
    KeyList,
    KeyMaterialImport,
    KeyOut,
    KeyRotate,
)
from recon_keyvault.models import KeyState

router = APIRouter(prefix="/v1/banks/{bank_id}/keys", tags=["keys"])

_DENIED = (Unauthorized, BankNotServed, KeyAdminRequired)


@router.post("", responses=error_responses(*_DENIED, KeyAlreadyExists))
async def create_key(
    body: KeyCreate,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> KeyOut:
    """Create the bank's key in the configured backend, enabled."""
    key = await service.create_key(
        session,
        broker=broker,
        bank_id=bank_id,
        alias=body.alias,
        description=body.description,
        actor=caller.service,
        origin=body.origin,
    )
    return KeyOut.from_row(key)


@router.get("", responses=error_responses(Unauthorized, BankNotServed))
async def list_keys(
    bank_id: BankDep, session: SessionDep, caller: CallerDep
) -> KeyList:
    """List the bank's keys with their state."""
    keys = await service.list_keys(session, bank_id=bank_id)
    return KeyList(keys=[KeyOut.from_row(key) for key in keys])


@router.post(
    "/{key_id}/rotate",
    responses=error_responses(
        *_DENIED,
        KeyNotFound,
        InvalidKeyState,
        KeyAlreadyExists,
        RotationUnavailable,
        ImportNotSupported,
    ),
)
async def rotate_key(
    key_id: str,
    body: KeyRotate,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> KeyOut:
    """Create a new version of the bank's current key for new data keys."""
    key = await rotation.rotate_key(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        alias=body.alias,
        description=body.description,
        origin=body.origin,
        actor=caller.service,
    )
    return KeyOut.from_row(key)


@router.post(
    "/{key_id}/disable",
    responses=error_responses(*_DENIED, KeyNotFound, InvalidKeyState),
)
async def disable_key(
    key_id: str,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> KeyOut:
    """Disable a key: data keys it wrapped cannot be decrypted until it is enabled."""
    key = await service.set_key_state(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        state=KeyState.DISABLED,
        actor=caller.service,
    )
    return KeyOut.from_row(key)


@router.post(
    "/{key_id}/enable",
    responses=error_responses(*_DENIED, KeyNotFound, InvalidKeyState),
)
async def enable_key(
    key_id: str,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> KeyOut:
    """Enable a disabled key again."""
    key = await service.set_key_state(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        state=KeyState.ENABLED,
        actor=caller.service,
    )
    return KeyOut.from_row(key)


@router.post(
    "/{key_id}/schedule-deletion",
    responses=error_responses(*_DENIED, KeyNotFound, InvalidKeyState),
)
async def schedule_key_deletion(
    key_id: str,
    body: DeletionSchedule,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> KeyOut:
    """Schedule the key for deletion; it stays unusable until cancelled."""
    key = await service.schedule_key_deletion(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        pending_window_days=body.pending_window_days,
        actor=caller.service,
    )
    return KeyOut.from_row(key)


@router.post(
    "/{key_id}/cancel-deletion",
    responses=error_responses(*_DENIED, KeyNotFound, InvalidKeyState),
)
async def cancel_key_deletion(
    key_id: str,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> KeyOut:
    """Cancel a scheduled deletion and restore the key's previous state."""
    key = await service.cancel_key_deletion(
        session, broker=broker, bank_id=bank_id, key_id=key_id, actor=caller.service
    )
    return KeyOut.from_row(key)


@router.post(
    "/{key_id}/import-parameters",
    responses=error_responses(
        *_DENIED, KeyNotFound, InvalidKeyState, ImportNotSupported
    ),
)
async def get_import_parameters(
    key_id: str,
    body: ImportParametersRequest,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> ImportParametersOut:
    """Return the public key and token with which to wrap the key's material."""
    parameters = await importing.get_import_parameters(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        wrapping_algorithm=body.wrapping_algorithm,
    )
    return ImportParametersOut.from_parameters(parameters)


@router.post(
    "/{key_id}/import",
    responses=error_responses(*_DENIED, KeyNotFound, InvalidKeyState, InvalidImport),
)
async def import_key_material(
    key_id: str,
    body: KeyMaterialImport,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> KeyOut:
    """Import wrapped key material into an external key and enable it."""
    key = await importing.import_key_material(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        encrypted_material=_decode(
            body.encrypted_key_material, "encrypted_key_material"
        ),
        import_token=_decode(body.import_token, "import_token"),
        valid_to=body.valid_to,
        actor=caller.service,
    )
    return KeyOut.from_row(key)


def _decode(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{field} is not valid base64") from None
