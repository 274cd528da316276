"""API models of the alarm list."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Self

from pydantic import BaseModel

from recon_audit.models import Alarm, AlarmDelivery


class AlarmDeliveryOut(BaseModel):
    target: str
    channel: str
    state: str
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class AlarmOut(BaseModel):
    id: int
    rule: str
    severity: str
    action: str
    actor: str
    resource_type: str
    resource_id: str
    event_count: int
    sequences: list[int]
    fired_at: datetime
    delivery_state: str
    deliveries: list[AlarmDeliveryOut]

    @classmethod
    def from_rows(cls, alarm: Alarm, deliveries: Sequence[AlarmDelivery]) -> Self:
        """Build the API model from an alarm row and its delivery rows."""
        return cls(
            id=alarm.id,
            rule=alarm.rule_name,
            severity=alarm.severity,
            action=alarm.action,
            actor=alarm.actor,
            resource_type=alarm.resource_type,
            resource_id=alarm.resource_id,
            event_count=alarm.event_count,
            sequences=json.loads(alarm.sequences),
            fired_at=alarm.fired_at,
            delivery_state=alarm.delivery_state,
            deliveries=[
                AlarmDeliveryOut(
                    target=row.target_name,
                    channel=row.channel,
                    state=row.state,
                    attempts=row.attempts,
                    last_error=row.last_error,
                    delivered_at=row.delivered_at,
                )
                for row in deliveries
            ],
        )


class AlarmPage(BaseModel):
    alarms: list[AlarmOut]
    next_after_id: int | None


class RedeliveryOut(BaseModel):
    # Targets whose failed deliveries are pending again, with fresh attempts.
    requeued: list[str]
    # Targets missing from the loaded rules file, whose deliveries stay failed.
    not_configured: list[str]
    alarm: AlarmOut
