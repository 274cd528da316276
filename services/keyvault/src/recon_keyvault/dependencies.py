"""FastAPI dependencies of the key broker: session, broker, caller and bank checks."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from recon_common.db import session_scope
from recon_common.errors import Unauthorized
from recon_common.runtime import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.auth import Caller, authenticate
from recon_keyvault.broker import Broker
from recon_keyvault.errors import BankNotServed, KeyAdminRequired


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session whose transaction commits when the request succeeds."""
    runtime: ServiceRuntime = request.app.state.runtime
    async with session_scope(runtime.sessions) as session:
        yield session


def get_broker(request: Request) -> Broker:
    """Return the broker objects built by the application's lifespan."""
    broker: Broker = request.app.state.broker
    return broker


BrokerDep = Annotated[Broker, Depends(get_broker)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_caller(
    request: Request,
    broker: BrokerDep,
    authorization: Annotated[str | None, Header()] = None,
    x_service: Annotated[str | None, Header()] = None,
) -> Caller:
    """Authenticate the calling service, auditing a rejected attempt."""
    try:
        return authenticate(
            broker.settings, authorization=authorization, service=x_service
        )
    except Unauthorized as error:
        await broker.audit.record_denial(
            actor=x_service or "unknown",
            action="keyvault.authenticate",
            resource_type="endpoint",
            resource_id=f"{request.method} {request.url.path}",
            error=error,
        )
        raise


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_served_bank(bank_id: str, broker: BrokerDep, caller: CallerDep) -> str:
    """Return the path's bank id if this deployment serves that bank, or raise."""
    served = broker.settings.bank_id
    if bank_id == served:
        return bank_id
    error = BankNotServed(
        f"this key broker serves bank {served!r}, not {bank_id!r}; call the key "
        "broker of that bank's deployment"
    )
    await broker.audit.record_denial(
        actor=caller.service,
        action="keyvault.bank.access",
        resource_type="bank",
        resource_id=bank_id,
        error=error,
    )
    raise error


BankDep = Annotated[str, Depends(get_served_bank)]


async def get_key_admin(
    bank_id: BankDep, broker: BrokerDep, caller: CallerDep
) -> Caller:
    """Return the caller if it may change keys and grants, or raise."""
    admins = broker.settings.key_admin_names()
    if caller.service in admins or (not admins and broker.settings.development):
        return caller
    error = KeyAdminRequired(
        f"service {caller.service!r} may not change keys or grants of bank "
        f"{bank_id!r}; add it to KEYVAULT_KEY_ADMINS of the key broker"
    )
    await broker.audit.record_denial(
        actor=caller.service,
        action="keyvault.key.administer",
        resource_type="bank",
        resource_id=bank_id,
        error=error,
    )
    raise error


KeyAdminDep = Annotated[Caller, Depends(get_key_admin)]
