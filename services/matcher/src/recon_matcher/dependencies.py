"""FastAPI dependencies of the matcher service."""

from collections.abc import AsyncIterator

from fastapi import Request
from recon_common.db import session_scope
from recon_common.runtime import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session whose transaction commits when the request succeeds."""
    runtime: ServiceRuntime = request.app.state.runtime
    async with session_scope(runtime.sessions) as session:
        yield session
    # Events of this request are in the outbox now, so publish them promptly.
    runtime.relay.notify()
