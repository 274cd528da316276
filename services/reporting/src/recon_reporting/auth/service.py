"""Checking passwords, throttling failed sign-ins, starting sessions and auditing.

Every sign-in, by form, token request or HTTP Basic, goes through `authenticate`,
which applies the failed sign-in throttle before it checks the password and audits
every failure. A successful form or token sign-in starts a session and audits a
`login` in `sign_in`. A successful HTTP Basic call goes through `sign_in_basic`,
which audits a `login` only when it has to start the session that the Basic calls of
one user from one client address share, so a script's calls do not add one `login`
each.
"""

import asyncio
import functools
import secrets
from datetime import UTC, datetime, timedelta

import structlog
from recon_common.db import session_scope
from recon_common.events import AuditEvent, AuditOutcome
from recon_common.runtime import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.auditing import build_event, record, record_committed
from recon_reporting.auth.locks import KeyedLocks
from recon_reporting.auth.passwords import hash_password, verify_password
from recon_reporting.auth.sessions import (
    SessionKind,
    find_reusable_session,
    revoke_session,
    revoke_user_sessions,
    row_reference,
    session_reference,
    start_session,
)
from recon_reporting.auth.throttle import (
    LoginThrottled,
    ThrottleLimits,
    begin_attempt,
    reset_failures,
)
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


async def authenticate(
    runtime: ServiceRuntime,
    store: UserStore,
    *,
    settings: ReportingSettings,
    username: str,
    password: str,
    method: str,
    client_address: str | None,
) -> User | None:
    """Check a sign-in under the failed sign-in throttle and audit a failure.

    Return the user if the password is right, or None after auditing a failed
    `login`. Raise `LoginThrottled` after auditing `login.throttled` when the
    username or the client address has too many recent failures. The caller audits
    a success with `sign_in` or `sign_in_basic`.
    """
    now = datetime.now(UTC)
    attempt = await begin_attempt(
        runtime.sessions,
        username=username,
        client_address=client_address,
        limits=ThrottleLimits.from_settings(settings),
        now=now,
    )
    if not isinstance(attempt, int):
        error = LoginThrottled(retry_at=attempt.retry_at, now=now)
        await _audit_throttled(
            runtime,
            settings=settings,
            username=username,
            method=method,
            client_address=client_address,
            scope=attempt.scope,
            retry_after_s=error.retry_after_s,
        )
        raise error
    user = await check_password(store, username=username, password=password)
    if user is None:
        await _audit_failed_login(
            runtime,
            settings=settings,
            username=username,
            method=method,
            client_address=client_address,
        )
        return None
    async with session_scope(runtime.sessions) as session:
        await reset_failures(session, username=username, attempt_id=attempt, now=now)
    return user


async def sign_in(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    user: User,
    kind: SessionKind,
    method: str,
    client_address: str | None,
) -> str:
    """Start a session for an authenticated user, audit the login, return its id."""
    async with session_scope(runtime.sessions) as session:
        session_id = await _start_audited_session(
            session,
            settings=settings,
            user=user,
            kind=kind,
            method=method,
            client_address=client_address,
        )
    runtime.relay.notify()
    log.info(
        "reporting.login.succeeded",
        username=user.username,
        method=method,
        session=session_reference(session_id),
    )
    return session_id


async def sign_in_basic(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    locks: KeyedLocks,
    user: User,
    client_address: str | None,
) -> str:
    """Reuse or start the Basic session of a user and address, return its reference.

    Call it only after `authenticate` accepted the password of this request. Only
    starting a session audits a `login`. A revoked or expired session is never
    reused. `locks` serializes the calls of one user and address on this replica,
    so concurrent first calls start one session. Replicas do not share `locks`, so
    each replica may start and audit one session when their first calls overlap.
    """
    async with (
        locks.hold((user.username, client_address)),
        session_scope(runtime.sessions) as session,
    ):
        reusable = await find_reusable_session(
            session,
            username=user.username,
            kind=SessionKind.API_BASIC,
            client_address=client_address,
            now=datetime.now(UTC),
        )
        if reusable is not None:
            return row_reference(reusable)
        session_id = await _start_audited_session(
            session,
            settings=settings,
            user=user,
            kind=SessionKind.API_BASIC,
            method="basic",
            client_address=client_address,
        )
    runtime.relay.notify()
    reference = session_reference(session_id)
    log.info(
        "reporting.login.succeeded",
        username=user.username,
        method="basic",
        session=reference,
    )
    return reference


def _session_lifetime(settings: ReportingSettings, kind: SessionKind) -> timedelta:
    match kind:
        case SessionKind.BROWSER:
            return timedelta(seconds=settings.session_max_age_s)
        case SessionKind.API_TOKEN:
            return timedelta(seconds=settings.api_token_max_age_s)
        case SessionKind.API_BASIC:
            return timedelta(seconds=settings.basic_session_max_age_s)


async def _start_audited_session(
    session: AsyncSession,
    *,
    settings: ReportingSettings,
    user: User,
    kind: SessionKind,
    method: str,
    client_address: str | None,
) -> str:
    session_id = await start_session(
        session,
        username=user.username,
        kind=kind,
        lifetime=_session_lifetime(settings, kind),
        client_address=client_address,
        now=datetime.now(UTC),
    )
    record(
        session,
        settings=settings,
        event=_session_event(
            settings,
            user=user,
            action="login",
            method=method,
            client_address=client_address,
            session_id=session_id,
        ),
    )
    return session_id


def _session_event(
    settings: ReportingSettings,
    *,
    user: User,
    action: str,
    method: str,
    client_address: str | None,
    session_id: str,
) -> AuditEvent:
    return build_event(
        actor=user.username,
        action=action,
        outcome=AuditOutcome.SUCCESS,
        resource_type="session",
        resource_id=settings.service_name,
        details={
            "method": method,
            "client_address": client_address or "",
            "session": session_reference(session_id),
        },
    )


async def sign_out(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    user: User,
    session_id: str,
    method: str,
    client_address: str | None,
) -> None:
    """Revoke one session or token of `user` and audit the `logout`."""
    async with session_scope(runtime.sessions) as session:
        await revoke_session(
            session,
            session_id=session_id,
            revoked_by=user.username,
            now=datetime.now(UTC),
        )
        event = _session_event(
            settings,
            user=user,
            action="logout",
            method=method,
            client_address=client_address,
            session_id=session_id,
        )
        record(session, settings=settings, event=event)
    runtime.relay.notify()
    log.info(
        "reporting.logout.succeeded",
        username=user.username,
        session=session_reference(session_id),
    )


async def revoke_all_sessions(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    administrator: User,
    username: str,
    client_address: str | None,
) -> int:
    """Revoke every session and token of `username`, audit it, return the count."""
    async with session_scope(runtime.sessions) as session:
        count = await revoke_user_sessions(
            session,
            username=username,
            revoked_by=administrator.username,
            now=datetime.now(UTC),
        )
        event = build_event(
            actor=administrator.username,
            action="sessions.revoked",
            outcome=AuditOutcome.SUCCESS,
            resource_type="user",
            resource_id=username,
            details={
                "revoked_sessions": str(count),
                "client_address": client_address or "",
            },
        )
        record(session, settings=settings, event=event)
    runtime.relay.notify()
    log.info(
        "reporting.sessions.revoked",
        username=username,
        administrator=administrator.username,
        revoked_sessions=count,
    )
    return count


async def audit_revocation_denied(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    actor: User,
    username: str,
    client_address: str | None,
) -> None:
    """Commit a failed `sessions.revoked` event for a user who lacks the role."""
    event = build_event(
        actor=actor.username,
        action="sessions.revoked",
        outcome=AuditOutcome.FAILURE,
        resource_type="user",
        resource_id=username,
        details={"role": actor.role.value, "client_address": client_address or ""},
    )
    await record_committed(runtime, settings=settings, event=event)
    log.warning(
        "reporting.sessions.revoke_denied",
        username=username,
        actor=actor.username,
        role=actor.role.value,
    )


async def _audit_failed_login(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    username: str,
    method: str,
    client_address: str | None,
) -> None:
    event = build_event(
        actor=username,
        action="login",
        outcome=AuditOutcome.FAILURE,
        resource_type="session",
        resource_id=settings.service_name,
        details={"method": method, "client_address": client_address or ""},
    )
    await record_committed(runtime, settings=settings, event=event)
    log.warning(
        "reporting.login.failed",
        username=username,
        method=method,
        client_address=client_address,
    )


async def _audit_throttled(
    runtime: ServiceRuntime,
    *,
    settings: ReportingSettings,
    username: str,
    method: str,
    client_address: str | None,
    scope: str,
    retry_after_s: int,
) -> None:
    event = build_event(
        actor=username,
        action="login.throttled",
        outcome=AuditOutcome.FAILURE,
        resource_type="session",
        resource_id=settings.service_name,
        details={
            "method": method,
            "client_address": client_address or "",
            "throttled_by": scope,
            "retry_after_s": str(retry_after_s),
        },
    )
    await record_committed(runtime, settings=settings, event=event)
    log.warning(
        "reporting.login.throttled",
        username=username,
        method=method,
        client_address=client_address,
        throttled_by=scope,
        retry_after_s=retry_after_s,
    )
