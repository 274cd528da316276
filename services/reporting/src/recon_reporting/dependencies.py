"""FastAPI dependencies of the reporting service: runtime, settings and sessions."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from recon_common.db import session_scope
from recon_common.runtime import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.settings import ReportingSettings


def get_runtime(request: Request) -> ServiceRuntime:
    """Return the runtime that the lifespan stored on the app."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> ReportingSettings:
    """Return the settings the app was built with."""
    settings: ReportingSettings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session whose transaction commits when the request succeeds."""
    runtime = get_runtime(request)
    async with session_scope(runtime.sessions) as session:
        yield session
    # Audit events of this request are in the outbox now, so publish them promptly.
    runtime.relay.notify()


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
SettingsDep = Annotated[ReportingSettings, Depends(get_settings)]
# "function" scope commits before the response is sent, so a failed commit returns
# an error instead of a success that was never stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
