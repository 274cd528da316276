"""Checking passwords and auditing logins."""

import asyncio
import functools
import secrets

import structlog
from recon_common.events import AuditOutcome
from recon_common.runtime import ServiceRuntime

from recon_reporting.auditing import build_event, record_committed
from recon_reporting.auth.passwords import hash_password, verify_password
from recon_reporting.auth.users import User, UserStore
from recon_reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)


@functools.cache
def _unknown_user_hash() -> str:
    # Checked when the username is unknown, at the default cost, so that the
    # response time does not reveal which usernames exist.
    return hash_password(secrets.token_urlsafe(16))


def _verify_unknown_user(password: str) -> bool:
    return verify_password(password, _unknown_user_hash())


async def check_password(
    store: UserStore, *, username: str, password: str
) -> User | None:
    """Return the user if `password` is theirs, else None."""
    stored = store.get(username)
    if stored is None:
        await asyncio.to_thread(_verify_unknown_user, password)
        return None
    if not await asyncio.to_thread(verify_password, password, stored.password_hash):
        return None
    return User(username=stored.username, role=stored.role)


async def audit_login(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    username: str,
    succeeded: bool,
    method: str,
    client_address: str | None,
) -> None:
    """Commit a `login` audit event and log the attempt."""
    outcome = AuditOutcome.SUCCESS if succeeded else AuditOutcome.FAILURE
    event = build_event(
        actor=username,
        action="login",
        outcome=outcome,
        resource_type="session",
        resource_id=settings.service_name,
        details={"method": method, "client_address": client_address or ""},
    )
    await record_committed(runtime, settings=settings, event=event)
    if succeeded:
        log.info("reporting.login.succeeded", username=username, method=method)
    else:
        log.warning(
            "reporting.login.failed",
            username=username,
            method=method,
            client_address=client_address,
        )
