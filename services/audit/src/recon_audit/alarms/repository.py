"""SQL of alarm counting, alarms and their deliveries."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
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
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    known_targets: Sequence[str],
    fired_before: datetime,
) -> Sequence[AlarmDelivery]:
    """Return due pending deliveries, locked so other workers skip them.

    A delivery qualifies when its target is in `known_targets`, or when its alarm was
    raised before `fired_before`, so that the caller can give it up.
    """
    return (
        await session.scalars(
            select(AlarmDelivery)
            .join(Alarm, Alarm.id == AlarmDelivery.alarm_id)
            .where(
                AlarmDelivery.state == DeliveryState.PENDING.value,
                AlarmDelivery.next_attempt_at <= now,
                or_(
                    AlarmDelivery.target_name.in_(known_targets),
                    Alarm.fired_at < fired_before,
                ),
            )
            .order_by(AlarmDelivery.next_attempt_at, AlarmDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=AlarmDelivery)
        )
    ).all()


async def count_pending_by_unknown_target(
    session: AsyncSession, *, known_targets: Sequence[str]
) -> dict[str, int]:
    """Return the number of pending deliveries per target not in `known_targets`."""
    rows = await session.execute(
        select(AlarmDelivery.target_name, func.count())
        .where(
            AlarmDelivery.state == DeliveryState.PENDING.value,
            AlarmDelivery.target_name.not_in(known_targets),
        )
        .group_by(AlarmDelivery.target_name)
    )
    return {target_name: int(count) for target_name, count in rows.all()}


async def list_failed_deliveries(
    session: AsyncSession, *, alarm_id: int
) -> Sequence[AlarmDelivery]:
    """Return the failed deliveries of an alarm, in id order."""
    return (
        await session.scalars(
            select(AlarmDelivery)
            .where(
                AlarmDelivery.alarm_id == alarm_id,
                AlarmDelivery.state == DeliveryState.FAILED.value,
            )
            .order_by(AlarmDelivery.id)
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
