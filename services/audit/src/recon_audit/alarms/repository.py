"""SQL of alarm counting, alarms and their deliveries."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.models import Alarm, AlarmDelivery, AlarmRuleHit, DeliveryState


async def delete_hits_before(
    session: AsyncSession, *, rule_name: str, group_key: str, cutoff: datetime
) -> None:
    """Delete a group's hits that occurred at or before `cutoff`."""
    await session.execute(
        delete(AlarmRuleHit).where(
            AlarmRuleHit.rule_name == rule_name,
            AlarmRuleHit.group_key == group_key,
            AlarmRuleHit.occurred_at <= cutoff,
        )
    )


async def list_hits_after(
    session: AsyncSession, *, rule_name: str, group_key: str, start: datetime
) -> Sequence[AlarmRuleHit]:
    """Return a group's hits that occurred after `start`, oldest first."""
    return (
        await session.scalars(
            select(AlarmRuleHit)
            .where(
                AlarmRuleHit.rule_name == rule_name,
                AlarmRuleHit.group_key == group_key,
                AlarmRuleHit.occurred_at > start,
            )
            .order_by(AlarmRuleHit.sequence)
        )
    ).all()


async def delete_hits(session: AsyncSession, *, hit_ids: Sequence[int]) -> None:
    """Delete the hits with the given ids."""
    await session.execute(delete(AlarmRuleHit).where(AlarmRuleHit.id.in_(hit_ids)))


async def list_alarms(
    session: AsyncSession,
    *,
    after_id: int,
    limit: int,
    rule_name: str | None,
    delivery_state: DeliveryState | None,
) -> Sequence[Alarm]:
    """Return alarms after an id, oldest first, filtered."""
    query = select(Alarm).where(Alarm.id > after_id)
    if rule_name is not None:
        query = query.where(Alarm.rule_name == rule_name)
    if delivery_state is not None:
        query = query.where(Alarm.delivery_state == delivery_state.value)
    return (await session.scalars(query.order_by(Alarm.id).limit(limit))).all()


async def list_deliveries(
    session: AsyncSession, *, alarm_ids: Sequence[int]
) -> Sequence[AlarmDelivery]:
    """Return the deliveries of the given alarms, in id order."""
    if not alarm_ids:
        return []
    return (
        await session.scalars(
            select(AlarmDelivery)
            .where(AlarmDelivery.alarm_id.in_(alarm_ids))
            .order_by(AlarmDelivery.id)
        )
    ).all()


async def claim_due_deliveries(
    session: AsyncSession, *, now: datetime, limit: int
) -> Sequence[AlarmDelivery]:
    """Return pending deliveries that are due, locked so other workers skip them."""
    return (
        await session.scalars(
            select(AlarmDelivery)
            .where(
                AlarmDelivery.state == DeliveryState.PENDING.value,
                AlarmDelivery.next_attempt_at <= now,
            )
            .order_by(AlarmDelivery.next_attempt_at, AlarmDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def lock_alarms(session: AsyncSession, *, alarm_ids: Sequence[int]) -> None:
    """Lock the given alarm rows for update, in id order to avoid deadlocks."""
    if not alarm_ids:
        return
    await session.execute(
        select(Alarm.id)
        .where(Alarm.id.in_(alarm_ids))
        .order_by(Alarm.id)
        .with_for_update()
    )


async def count_open_deliveries(session: AsyncSession, *, alarm_id: int) -> int:
    """Return how many deliveries of an alarm are still pending."""
    count = await session.scalar(
        select(func.count())
        .select_from(AlarmDelivery)
        .where(
            AlarmDelivery.alarm_id == alarm_id,
            AlarmDelivery.state == DeliveryState.PENDING.value,
        )
    )
    return int(count or 0)


async def count_failed_deliveries(session: AsyncSession, *, alarm_id: int) -> int:
    """Return how many deliveries of an alarm were given up."""
    count = await session.scalar(
        select(func.count())
        .select_from(AlarmDelivery)
        .where(
            AlarmDelivery.alarm_id == alarm_id,
            AlarmDelivery.state == DeliveryState.FAILED.value,
        )
    )
    return int(count or 0)
