"""Re-queueing the failed deliveries of an alarm."""

from dataclasses import dataclass
from datetime import datetime

import structlog
from recon_common.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.alarms import repository
from recon_audit.alarms.rules import AlarmConfig
from recon_audit.models import Alarm, DeliveryState

log = structlog.get_logger(__name__)


class AlarmNotFound(NotFound):
    """No alarm has the requested id."""


@dataclass(frozen=True)
class Redelivery:
    """Targets whose failed deliveries were re-queued, and targets left failed."""

    requeued: list[str]
    # Targets that the loaded rules file does not define, so a send could not start.
    not_configured: list[str]


async def requeue_failed_deliveries(
    session: AsyncSession, *, alarm_id: int, config: AlarmConfig, now: datetime
) -> Redelivery:
    """Set the failed deliveries of an alarm back to pending with fresh attempts.

    A delivery whose target is not in `config` stays failed. Raise `AlarmNotFound`
    when no alarm has the id.
    """
    # The worker locks the alarm before it settles the alarm's state, so this lock
    # keeps it from reading the deliveries halfway through the change.
    await repository.lock_alarms(session, alarm_ids=[alarm_id])
    alarm = await session.get(Alarm, alarm_id)
    if alarm is None:
        raise AlarmNotFound(f"alarm {alarm_id} not found; list alarms at /v1/alarms")
    requeued: list[str] = []
    not_configured: list[str] = []
    for row in await repository.list_failed_deliveries(session, alarm_id=alarm_id):
        if row.target_name not in config.targets:
            not_configured.append(row.target_name)
            continue
        row.state = DeliveryState.PENDING.value
        row.attempts = 0
        row.next_attempt_at = now
        requeued.append(row.target_name)
    if requeued:
        alarm.delivery_state = DeliveryState.PENDING.value
    await session.flush()
    log.info(
        "audit.alarm.redelivery_requested",
        alarm_id=alarm_id,
        requeued=requeued,
        not_configured=not_configured,
    )
    return Redelivery(requeued=requeued, not_configured=not_configured)
