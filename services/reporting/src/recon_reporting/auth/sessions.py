"""Server-side records of sign-ins: browser sessions and API bearer tokens.

A sign-in adds one `auth_sessions` row. A request is admitted only while its row
exists, has not expired and has not been revoked, so logout and an administrator's
revocation take effect on every replica at the next request.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
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


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def session_reference(session_id: str) -> str:
    """Return the short digest that names a session in audit events and logs."""
    return _digest(session_id)[:_REFERENCE_CHARS]


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
