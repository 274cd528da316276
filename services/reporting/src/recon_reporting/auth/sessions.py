"""Server-side records of sign-ins: browser sessions, API bearer tokens, Basic calls.

A sign-in adds one `auth_sessions` row. A request is admitted only while its row
exists, has not expired and has not been revoked, so logout and an administrator's
revocation take effect on every replica at the next request. HTTP Basic calls of one
user from one client address share an `api_basic` row until it expires or is
revoked. Its id is never sent to the client, because a Basic call is authenticated by
its password and the row only limits the `login` audit events to one per row.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import AuthSession

# Rows are kept this long after they expire, for diagnosis, then deleted.
_EXPIRED_RETENTION = timedelta(days=7)
# 32 random bytes, as `secrets.token_urlsafe` encodes them.
_SESSION_ID_BYTES = 32
# Characters of the digest that audit events and logs show to name a session.
_REFERENCE_CHARS = 16


class SessionKind(StrEnum):
    BROWSER = "browser"
    API_TOKEN = "api_token"  # noqa: S105 - a session kind, not a secret
    API_BASIC = "api_basic"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def session_reference(session_id: str) -> str:
    """Return the short digest that names a session in audit events and logs."""
    return _digest(session_id)[:_REFERENCE_CHARS]


def row_reference(row: AuthSession) -> str:
    """Return the `session_reference` of a stored session row."""
    return row.id_sha256[:_REFERENCE_CHARS]


async def start_session(
    session: AsyncSession,
    *,
    username: str,
    kind: SessionKind,
    lifetime: timedelta,
    client_address: str | None,
    now: datetime,
) -> str:
    """Add a session row for `username` and return the new random session id."""
    await session.execute(
        delete(AuthSession).where(AuthSession.expires_at < now - _EXPIRED_RETENTION)
    )
    session_id = secrets.token_urlsafe(_SESSION_ID_BYTES)
    session.add(
        AuthSession(
            id_sha256=_digest(session_id),
            username=username,
            kind=kind.value,
            client_address=client_address,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return session_id


async def find_active_session(
    session: AsyncSession, *, session_id: str, kind: SessionKind, now: datetime
) -> AuthSession | None:
    """Return the row of `session_id` if it is of `kind`, unexpired and not revoked."""
    row = await session.get(AuthSession, _digest(session_id))
    if row is None or row.kind != kind.value:
        return None
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


async def find_reusable_session(
    session: AsyncSession,
    *,
    username: str,
    kind: SessionKind,
    client_address: str | None,
    now: datetime,
) -> AuthSession | None:
    """Return the active session of `kind` that `username` started from an address.

    When several are active, return the one that expires last.
    """
    same_address = (
        AuthSession.client_address.is_(None)
        if client_address is None
        else AuthSession.client_address == client_address
    )
    rows = await session.scalars(
        select(AuthSession)
        .where(
            AuthSession.username == username,
            AuthSession.kind == kind.value,
            same_address,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.expires_at.desc())
        .limit(1)
    )
    return rows.first()


async def revoke_session(
    session: AsyncSession, *, session_id: str, revoked_by: str, now: datetime
) -> bool:
    """Revoke one active session and return whether it was active."""
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.id_sha256 == _digest(session_id),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .values(revoked_at=now, revoked_by=revoked_by)
    )
    return cast(CursorResult[Any], result).rowcount > 0


async def revoke_user_sessions(
    session: AsyncSession, *, username: str, revoked_by: str, now: datetime
) -> int:
    """Revoke every active session and token of `username` and return the count."""
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.username == username,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .values(revoked_at=now, revoked_by=revoked_by)
    )
    return cast(CursorResult[Any], result).rowcount
