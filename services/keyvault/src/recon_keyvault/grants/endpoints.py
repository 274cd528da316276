"""HTTP routes of key grants."""

from fastapi import APIRouter, Response
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
    GrantNotFound,
    KeyAdminRequired,
    KeyNotFound,
)
from recon_keyvault.grants import service
from recon_keyvault.grants.schemas import GrantCreate, GrantList, GrantOut

router = APIRouter(prefix="/v1/banks/{bank_id}/keys/{key_id}/grants", tags=["grants"])

_DENIED = (Unauthorized, BankNotServed, KeyAdminRequired)


@router.post("", responses=error_responses(*_DENIED, KeyNotFound))
async def create_grant(
    key_id: str,
    body: GrantCreate,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> GrantOut:
    """Allow a service some operations on the key, within a context constraint."""
    grant = await service.create_grant(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        grantee=body.grantee,
        operations=body.operations,
        context_subset=body.constraints.encryption_context_subset,
        actor=caller.service,
    )
    return GrantOut.from_row(grant)


@router.get("", responses=error_responses(Unauthorized, BankNotServed, KeyNotFound))
async def list_grants(
    key_id: str,
    bank_id: BankDep,
    session: SessionDep,
    caller: CallerDep,
    include_revoked: bool = False,
) -> GrantList:
    """List the key's active grants, or all of them with `include_revoked`."""
    grants = await service.list_grants(
        session, bank_id=bank_id, key_id=key_id, include_revoked=include_revoked
    )
    return GrantList(grants=[GrantOut.from_row(grant) for grant in grants])


@router.delete(
    "/{grant_id}",
    status_code=204,
    responses=error_responses(*_DENIED, KeyNotFound, GrantNotFound),
)
async def revoke_grant(
    key_id: str,
    grant_id: str,
    bank_id: BankDep,
    session: SessionDep,
    broker: BrokerDep,
    caller: KeyAdminDep,
) -> Response:
    """Revoke a grant; requests that relied on it are rejected from now on."""
    await service.revoke_grant(
        session,
        broker=broker,
        bank_id=bank_id,
        key_id=key_id,
        grant_id=grant_id,
        actor=caller.service,
    )
    return Response(status_code=204)
