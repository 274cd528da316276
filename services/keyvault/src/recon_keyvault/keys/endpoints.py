"""HTTP routes of bank keys."""

from fastapi import APIRouter
from recon_common.errors import Unauthorized, error_responses

from recon_keyvault.dependencies import (
    BankDep,
    BrokerDep,
    CallerDep,
    KeyAdminDep,
    SessionDep,
)
from recon_keyvault.errors import (
    BankNotServed,
    KeyAdminRequired,
    KeyAlreadyExists,
    KeyNotFound,
)
from recon_keyvault.keys import service
from recon_keyvault.keys.schemas import KeyCreate, KeyList, KeyOut
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
    )
    return KeyOut.from_row(key)


@router.get("", responses=error_responses(Unauthorized, BankNotServed))
async def list_keys(
    bank_id: BankDep, session: SessionDep, caller: CallerDep
) -> KeyList:
    """List the bank's keys with their state."""
    keys = await service.list_keys(session, bank_id=bank_id)
    return KeyList(keys=[KeyOut.from_row(key) for key in keys])


@router.post("/{key_id}/disable", responses=error_responses(*_DENIED, KeyNotFound))
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


@router.post("/{key_id}/enable", responses=error_responses(*_DENIED, KeyNotFound))
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
