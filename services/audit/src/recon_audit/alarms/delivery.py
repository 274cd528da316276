"""Background delivery of alarm notifications from the `alarm_deliveries` table.

Each round claims due rows in a short transaction: it moves `next_attempt_at` past
the send timeout (a lease) and counts the attempt. The sends run outside any
transaction, so a slow receiver holds no lock that the consumer needs. A second
transaction then records the result: delivered, retried after an exponential
backoff, or failed after the last attempt. A worker that dies between the two
transactions leaves the row to be claimed again when its lease ends, so delivery is
at least once. A row whose attempts are used up when it is claimed again is marked
failed without another send, so the attempts never exceed the maximum.

Every send's failure, of any exception type, is recorded for that delivery alone, so
one notice that cannot be built or sent does not lose the results of its batch.

A delivery whose target is not in the loaded rules file, because the file is missing
or the target was renamed, stays pending and is not attempted. The worker logs
`audit.alarm.target_unknown` for each such target, and sends the rows once the service
restarts with the target. A row whose alarm is older than `unknown_target_max_age` is
marked failed. `POST /v1/alarms/{alarm_id}/redeliver` re-queues failed deliveries.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from recon_common.db import session_scope
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_audit.alarms import repository
from recon_audit.alarms.notifiers import AlarmNotice, DeliveryFailed, Notifier
from recon_audit.alarms.rules import AlarmConfig, Target
from recon_audit.models import Alarm, AlarmDelivery, DeliveryState
from recon_audit.settings import AuditSettings

log = structlog.get_logger(__name__)

_BATCH_SIZE = 20
# Added to the send timeout to form the lease of a claimed row.
_LEASE_MARGIN = timedelta(seconds=30)
# How long a delivery waits for its target to come back to the rules file, counted
# from the time the alarm was raised.
# NOTE: no AUDIT_* setting changes this yet. Pass `unknown_target_max_age` to
# AlarmDeliveryWorker to change it.
DEFAULT_UNKNOWN_TARGET_MAX_AGE = timedelta(days=7)
# Seconds between checks for pending deliveries whose target is unknown. Each check
# logs one warning per such target.
_UNKNOWN_TARGET_CHECK_INTERVAL_S = 60.0


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    alarm_id: int
    target_name: str
    attempt: int
    notice: AlarmNotice
    # None when the row is given up without a send.
    target: Target | None
    # Reason to mark the row failed without a send, because its attempts are used up
    # or its target has been missing for longer than the maximum age.
    give_up_reason: str | None = None


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
        unknown_target_max_age: timedelta = DEFAULT_UNKNOWN_TARGET_MAX_AGE,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._settings = settings
        self._notifier = notifier
        self._unknown_target_max_age = unknown_target_max_age
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
        loop = asyncio.get_running_loop()
        next_check = loop.time()
        while True:
            try:
                if loop.time() >= next_check:
                    next_check = loop.time() + _UNKNOWN_TARGET_CHECK_INTERVAL_S
                    await self.warn_unknown_targets()
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
        # `_send` turns every failure into an error string. The gather still collects
        # exceptions, so that a bug there cannot lose the results of the other rows.
        outcomes = await asyncio.gather(
            *(self._send(claim) for claim in claims), return_exceptions=True
        )
        results: list[tuple[_Claim, str | None]] = []
        for claim, outcome in zip(claims, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                outcome = _describe_unexpected(outcome, target=claim.target)
            results.append((claim, outcome))
        await self._record(results)
        return len(claims)

    async def warn_unknown_targets(self) -> dict[str, int]:
        """Log a warning per target that pending deliveries name but the rules lack.

        Return the number of such pending deliveries by target name.
        """
        async with session_scope(self._sessions) as session:
            counts = await repository.count_pending_by_unknown_target(
                session, known_targets=list(self._config.targets)
            )
        for target_name, pending in sorted(counts.items()):
            log.warning(
                "audit.alarm.target_unknown",
                target=target_name,
                pending=pending,
                max_age_hours=self._unknown_target_max_age.total_seconds() / 3600,
                hint="add the target to the alarm rules file and restart audit",
            )
        return counts

    async def _claim(self) -> list[_Claim]:
        now = datetime.now(UTC)
        lease = (
            timedelta(seconds=self._settings.alarm_delivery_timeout_s) + _LEASE_MARGIN
        )
        max_attempts = self._settings.alarm_delivery_max_attempts
        claims: list[_Claim] = []
        async with session_scope(self._sessions) as session:
            rows = await repository.claim_due_deliveries(
                session,
                now=now,
                limit=_BATCH_SIZE,
                known_targets=list(self._config.targets),
                fired_before=now - self._unknown_target_max_age,
            )
            for row in rows:
                alarm = await session.get_one(Alarm, row.alarm_id)
                target = self._config.targets.get(row.target_name)
                reason = None
                if target is None:
                    hours = self._unknown_target_max_age.total_seconds() / 3600
                    reason = (
                        f"target {row.target_name!r} was missing from the alarm rules "
                        f"file for more than {hours:g} hours after the alarm was raised"
                    )
                elif row.attempts >= max_attempts:
                    # The worker stopped between sending and recording the last
                    # allowed attempt, so its lease ended without a result.
                    reason = (
                        f"no result was recorded for attempt {row.attempts} of "
                        f"{max_attempts}"
                    )
                else:
                    row.attempts += 1
                    row.next_attempt_at = now + lease
                claims.append(
                    _Claim(
                        delivery_id=row.id,
                        alarm_id=row.alarm_id,
                        target_name=row.target_name,
                        attempt=row.attempts,
                        notice=AlarmNotice.from_alarm(alarm),
                        target=target if reason is None else None,
                        give_up_reason=reason,
                    )
                )
        return claims

    async def _send(self, claim: _Claim) -> str | None:
        """Send one notification and return the error, or None when delivered."""
        if claim.give_up_reason is not None:
            return claim.give_up_reason
        assert claim.target is not None  # noqa: S101 - `_claim` sets it on every send
        try:
            await self._notifier.send(claim.target, claim.notice)
        except DeliveryFailed as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - recorded as this delivery's error
            log.error(
                "audit.alarm.send_error",
                error_class=type(exc).__name__,
                alarm_id=claim.alarm_id,
                delivery_id=claim.delivery_id,
                target=claim.target_name,
            )
            return _describe_unexpected(exc, target=claim.target)
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
        if claim.give_up_reason is not None:
            row.state = DeliveryState.FAILED.value
            row.last_error = claim.give_up_reason[:500]
            return True
        if error is None:
            row.state = DeliveryState.DELIVERED.value
            row.delivered_at = now
            row.last_error = None
            return False
        row.last_error = error[:500]
        if claim.attempt >= self._settings.alarm_delivery_max_attempts:
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


def _describe_unexpected(error: BaseException, *, target: Target | None) -> str:
    """Return the stored error of an exception other than `DeliveryFailed`.

    The target's URL is cut out of the message, because it may contain a secret.
    """
    message = str(error)
    if target is not None and target.url:
        message = message.replace(target.url, "<target URL>")
    return f"unexpected {type(error).__name__}: {message}"[:500]


async def _update_alarm_state(session: AsyncSession, *, alarm_id: int) -> None:
    if await repository.count_open_deliveries(session, alarm_id=alarm_id):
        return
    alarm = await session.get_one(Alarm, alarm_id)
    failed = await repository.count_failed_deliveries(session, alarm_id=alarm_id)
    alarm.delivery_state = (
        DeliveryState.FAILED.value if failed else DeliveryState.DELIVERED.value
    )
