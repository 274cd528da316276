"""HTTP routes of the alarm list."""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from recon_common.errors import error_responses
from recon_common.service_auth import InvalidServiceToken, require_service_token
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.alarms import repository
from recon_audit.alarms.redelivery import AlarmNotFound, requeue_failed_deliveries
from recon_audit.alarms.schemas import AlarmOut, AlarmPage, RedeliveryOut
from recon_audit.dependencies import get_session
from recon_audit.models import Alarm, AlarmDelivery, DeliveryState

router = APIRouter(
    prefix="/v1/alarms",
    tags=["alarms"],
    dependencies=[Depends(require_service_token)],
    responses=error_responses(InvalidServiceToken),
)

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.get("")
async def list_alarms(
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    rule: str | None = None,
    delivery_state: DeliveryState | None = None,
) -> AlarmPage:
    """List raised alarms after an alarm id, oldest first, with their deliveries."""
    alarms = await repository.list_alarms(
        session,
        after_id=after_id,
        limit=limit,
        rule_name=rule,
        delivery_state=delivery_state,
    )
    deliveries = await repository.list_deliveries(
        session, alarm_ids=[alarm.id for alarm in alarms]
    )
    by_alarm: dict[int, list[AlarmDelivery]] = defaultdict(list)
    for delivery in deliveries:
        by_alarm[delivery.alarm_id].append(delivery)
    items = [AlarmOut.from_rows(alarm, by_alarm[alarm.id]) for alarm in alarms]
    next_after = items[-1].id if len(items) == limit else None
    return AlarmPage(alarms=items, next_after_id=next_after)


@router.post("/{alarm_id}/redeliver", responses=error_responses(AlarmNotFound))
async def redeliver_alarm(
    alarm_id: int, request: Request, session: SessionDep
) -> RedeliveryOut:
    """Re-queue the failed deliveries of an alarm whose target is still configured."""
    redelivery = await requeue_failed_deliveries(
        session,
        alarm_id=alarm_id,
        config=request.app.state.alarm_config,
        now=datetime.now(UTC),
    )
    alarm = await session.get_one(Alarm, alarm_id)
    deliveries = await repository.list_deliveries(session, alarm_ids=[alarm_id])
    return RedeliveryOut(
        requeued=redelivery.requeued,
        not_configured=redelivery.not_configured,
        alarm=AlarmOut.from_rows(alarm, deliveries),
    )
