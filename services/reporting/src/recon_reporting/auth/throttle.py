"""Throttling of failed sign-ins, kept in the database so that every replica agrees.

Each attempt first commits a `login_failures` row and only then counts the rows in
the window. Its count therefore includes every attempt committed before its own, so
however many attempts run at once on however many replicas, at most the limit have
their password checked within one window. The row stays as the record of a failure
unless the password is right. Then the row is deleted and the username's other rows
are marked reset. A throttled attempt deletes its own row, so attempts made while
throttled do not extend the wait. Unknown usernames are counted and throttled like
known ones, so a 429 does not reveal which usernames exist.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from recon_common.db import session_scope
from recon_common.errors import ReconError
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_reporting.models import LoginFailure
from recon_reporting.settings import ReportingSettings

# The username column is String(200), so longer names are counted by their prefix.
_MAX_USERNAME_LENGTH = 200


class LoginThrottled(ReconError):
    """Too many failed sign-ins for a username or a client address."""

    status_code = 429

    def __init__(self, *, retry_at: datetime, now: datetime) -> None:
        self.retry_at = retry_at
        self.retry_after_s = max(1, math.ceil((retry_at - now).total_seconds()))
        super().__init__(
            "too many failed sign-in attempts; try again after "
            f"{retry_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC "
            f"(in {self.retry_after_s} seconds)"
        )

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that tell the client when to retry."""
        return {"Retry-After": str(self.retry_after_s)}


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    """How many failures a username and a client address may have in the window."""

    max_failures: int
    max_failures_per_address: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: ReportingSettings) -> "ThrottleLimits":
        """Return the limits configured in `settings`."""
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            window=timedelta(seconds=settings.login_failure_window_s),
        )


@dataclass(frozen=True, slots=True)
class Throttled:
    """The counter that is over its limit, and the time it falls below it."""

    scope: str
    retry_at: datetime


async def _retry_time(
    session: AsyncSession,
    *,
    conditions: list[ColumnElement[bool]],
    limit: int,
    window: timedelta,
) -> datetime | None:
    # With `limit` other failures in the window, the attempt is over the limit until
    # the `limit`-th newest of them leaves the window.
    rows = await session.scalars(
        select(LoginFailure.failed_at)
        .where(*conditions)
        .order_by(LoginFailure.failed_at.desc())
        .limit(limit)
    )
    times = list(rows)
    if len(times) < limit:
        return None
    return times[limit - 1] + window


async def _find_throttle(
    session: AsyncSession,
    *,
    attempt_id: int,
    username: str,
    client_address: str | None,
    limits: ThrottleLimits,
    now: datetime,
) -> Throttled | None:
    since = now - limits.window
    recent = [
        LoginFailure.failure_id != attempt_id,
        LoginFailure.failed_at > since,
    ]
    found: list[Throttled] = []
    username_retry = await _retry_time(
        session,
        conditions=[
            *recent,
            LoginFailure.username == username,
            LoginFailure.reset_at.is_(None),
        ],
        limit=limits.max_failures,
        window=limits.window,
    )
    if username_retry is not None:
        found.append(Throttled(scope="username", retry_at=username_retry))
    if client_address is not None:
        address_retry = await _retry_time(
            session,
            conditions=[*recent, LoginFailure.client_address == client_address],
            limit=limits.max_failures_per_address,
            window=limits.window,
        )
        if address_retry is not None:
            found.append(Throttled(scope="client_address", retry_at=address_retry))
    return max(found, key=lambda item: item.retry_at, default=None)


async def begin_attempt(
    sessions: async_sessionmaker[AsyncSession],
    *,
    username: str,
    client_address: str | None,
    limits: ThrottleLimits,
    now: datetime,
) -> int | Throttled:
    """Record a sign-in attempt as failed and return its id, or the throttle.

    The caller checks the password only when an id is returned, and calls
    `reset_failures` if the password is right.
    """
    key = username[:_MAX_USERNAME_LENGTH]
    async with session_scope(sessions) as session:
        await session.execute(
            delete(LoginFailure).where(LoginFailure.failed_at <= now - limits.window)
        )
        row = LoginFailure(username=key, client_address=client_address, failed_at=now)
        session.add(row)
        await session.flush()
        attempt_id = row.failure_id
    async with session_scope(sessions) as session:
        throttled = await _find_throttle(
            session,
            attempt_id=attempt_id,
            username=key,
            client_address=client_address,
            limits=limits,
            now=now,
        )
        if throttled is None:
            return attempt_id
        await session.execute(
            delete(LoginFailure).where(LoginFailure.failure_id == attempt_id)
        )
    return throttled


async def reset_failures(
    session: AsyncSession, *, username: str, attempt_id: int, now: datetime
) -> None:
    """Reset the failure count of `username` after a successful sign-in.

    The successful attempt's own row is deleted, so it does not count against the
    client address either.
    """
    # The update runs before the delete, so concurrent successes of one user lock
    # the rows in the same order. Deleting first deadlocked on PostgreSQL, because
    # each transaction locked its own row and then waited for the other's.
    await session.execute(
        update(LoginFailure)
        .where(
            LoginFailure.username == username[:_MAX_USERNAME_LENGTH],
            LoginFailure.reset_at.is_(None),
        )
        .values(reset_at=now)
    )
    await session.execute(
        delete(LoginFailure).where(LoginFailure.failure_id == attempt_id)
    )
