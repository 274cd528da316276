"""Background delivery of alarm notifications from the `alarm_deliveries` table.

Each round claims due rows in a short transaction: it moves `next_attempt_at` past
the send timeout (a lease) and counts the attempt. The sends run outside any
transaction, so a slow receiver holds no lock that the consumer needs. A second
transaction then records the result: delivered, retried after an exponential
backoff, or failed after the last attempt. A worker that dies between the two
transactions leaves the row to be claimed again when its lease ends, so delivery is
at least once.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from recon_common.db import session_scope
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_audit.alarms import repository
from recon_audit.alarms.notifiers import AlarmNotice, DeliveryFailed, Notifier
from recon_audit.alarms.rules import AlarmConfig
from recon_audit.models import Alarm, AlarmDelivery, DeliveryState
from recon_audit.settings import AuditSettings

log = structlog.get_logger(__name__)

_BATCH_SIZE = 20
# Added to the send timeout to form the lease of a claimed row.
_LEASE_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    alarm_id: int
    target_name: str
    attempt: int
    notice: AlarmNotice


def retry_delay(settings: AuditSettings, *, attempt: int) -> timedelta:
    """Return the wait after failed attempt number `attempt` (1 for the first)."""
    seconds = settings.alarm_retry_base_s * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, settings.alarm_retry_max_s))


class AlarmDeliveryWorker:
    """Send pending notifications in the background and record each outcome."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        config: AlarmConfig,
        settings: AuditSettings,
        notifier: Notifier,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._settings = settings
        self._notifier = notifier
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        """Start the delivery loop as a background task."""
        self._task = asyncio.create_task(self._run(), name="alarm-delivery")
        log.info("audit.alarm_delivery.started")

    async def stop(self) -> None:
        """Stop the loop. Unfinished claimed rows are sent when their lease ends."""
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None
        log.info(
            "audit.alarm_delivery.stopped", delivered=self.delivered, failed=self.failed
        )

    @property
    def running(self) -> bool:
        """Return whether the delivery loop is alive."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while True:
            try:
                while await self.deliver_due() == _BATCH_SIZE:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the loop must outlive database outages
                log.warning(
                    "audit.alarm_delivery.round_failed",
                    error=f"{type(exc).__name__}: {exc}",
                )
            await asyncio.sleep(self._settings.alarm_delivery_poll_interval_s)

    async def deliver_due(self) -> int:
        """Claim due deliveries, send them concurrently, and return how many ran."""
        claims = await self._claim()
        if not claims:
            return 0
        errors = await asyncio.gather(*(self._send(claim) for claim in claims))
        await self._record(list(zip(claims, errors, strict=True)))
        return len(claims)

    async def _claim(self) -> list[_Claim]:
        now = datetime.now(UTC)
        lease = (
            timedelta(seconds=self._settings.alarm_delivery_timeout_s) + _LEASE_MARGIN
        )
        claims: list[_Claim] = []
        async with session_scope(self._sessions) as session:
            rows = await repository.claim_due_deliveries(
                session, now=now, limit=_BATCH_SIZE
            )
            for row in rows:
                alarm = await session.get_one(Alarm, row.alarm_id)
                row.attempts += 1
                row.next_attempt_at = now + lease
                claims.append(
                    _Claim(
                        delivery_id=row.id,
                        alarm_id=row.alarm_id,
                        target_name=row.target_name,
                        attempt=row.attempts,
                        notice=AlarmNotice.from_alarm(alarm),
                    )
                )
        return claims

    async def _send(self, claim: _Claim) -> str | None:
        """Send one notification and return the error, or None when delivered."""
        target = self._config.targets.get(claim.target_name)
        if target is None:
            return f"target {claim.target_name!r} is no longer in the alarm rules file"
        try:
            await self._notifier.send(target, claim.notice)
        except DeliveryFailed as exc:
            return str(exc)
        return None

    async def _record(self, results: list[tuple[_Claim, str | None]]) -> None:
        """Store the outcome of each send and settle the state of finished alarms."""
        now = datetime.now(UTC)
        alarm_ids = sorted({claim.alarm_id for claim, _ in results})
        outcomes: list[tuple[_Claim, str | None, bool]] = []
        async with session_scope(self._sessions) as session:
            # Locking the alarms first serializes workers that finish deliveries of
            # the same alarm, so the last of them reads every other outcome.
            await repository.lock_alarms(session, alarm_ids=alarm_ids)
            for claim, error in results:
                give_up = self._apply_outcome(
                    await session.get_one(AlarmDelivery, claim.delivery_id),
                    claim=claim,
                    error=error,
                    now=now,
                )
                outcomes.append((claim, error, give_up))
            await session.flush()
            for alarm_id in alarm_ids:
                await _update_alarm_state(session, alarm_id=alarm_id)
        for claim, error, give_up in outcomes:
            self._log_outcome(claim, error=error, give_up=give_up)

    def _apply_outcome(
        self,
        row: AlarmDelivery,
        *,
        claim: _Claim,
        error: str | None,
        now: datetime,
    ) -> bool:
        """Update a delivery row from one send and return whether it was given up."""
        if error is None:
            row.state = DeliveryState.DELIVERED.value
            row.delivered_at = now
            row.last_error = None
            return False
        row.last_error = error[:500]
        retryable = claim.target_name in self._config.targets
        if not retryable or claim.attempt >= self._settings.alarm_delivery_max_attempts:
            row.state = DeliveryState.FAILED.value
            return True
        row.next_attempt_at = now + retry_delay(self._settings, attempt=claim.attempt)
        return False

    def _log_outcome(self, claim: _Claim, *, error: str | None, give_up: bool) -> None:
        fields = {
            "alarm_id": claim.alarm_id,
            "delivery_id": claim.delivery_id,
            "target": claim.target_name,
            "attempt": claim.attempt,
        }
        if error is None:
            self.delivered += 1
            log.info("audit.alarm.delivered", **fields)
        elif give_up:
            self.failed += 1
            log.error("audit.alarm.delivery_failed", error=error, **fields)
        else:
            log.warning("audit.alarm.delivery_retrying", error=error, **fields)


async def _update_alarm_state(session: AsyncSession, *, alarm_id: int) -> None:
    if await repository.count_open_deliveries(session, alarm_id=alarm_id):
        return
    alarm = await session.get_one(Alarm, alarm_id)
    failed = await repository.count_failed_deliveries(session, alarm_id=alarm_id)
    alarm.delivery_state = (
        DeliveryState.FAILED.value if failed else DeliveryState.DELIVERED.value
    )
