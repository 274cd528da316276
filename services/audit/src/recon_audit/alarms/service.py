"""Evaluating alarm rules against each journaled audit event.

`evaluate_entry` runs in the consumer's transaction, right after the event is
appended to the journal. That append locks the `journal_head` row until the commit,
so entries are evaluated one at a time even with several replicas, and the counts of
`alarm_rule_hits` cannot be read by two transactions at once. The alarm, its delivery
rows and the journal entry commit together. The delivery worker sends the
notifications later, outside this transaction.

A count rule keeps one hit row per matching event. Its window ends at the new
event's `occurred_at`. When a group reaches the threshold, the alarm takes the
group's hits and deletes them, so the next alarm of that group needs `count` new
events. An event that arrives late is counted in the window that ends at its own
time.
"""

import json
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from recon_audit.alarms import repository
from recon_audit.alarms.rules import AlarmConfig, AlarmRule
from recon_audit.models import (
    Alarm,
    AlarmDelivery,
    AlarmRuleHit,
    DeliveryState,
    JournalEntry,
)

log = structlog.get_logger(__name__)


async def evaluate_entry(
    session: AsyncSession, *, config: AlarmConfig, entry: JournalEntry
) -> list[Alarm]:
    """Apply every rule to a new journal entry and store the alarms it raises."""
    fired: list[Alarm] = []
    for rule in config.rules:
        if not rule.matches(entry):
            continue
        if rule.threshold is None:
            sequences = [entry.sequence]
        else:
            counted = await _count_hit(session, rule=rule, entry=entry)
            if counted is None:
                continue
            sequences = counted
        alarm = await _raise_alarm(
            session, config=config, rule=rule, entry=entry, sequences=sequences
        )
        fired.append(alarm)
    return fired


async def _count_hit(
    session: AsyncSession, *, rule: AlarmRule, entry: JournalEntry
) -> list[int] | None:
    """Record a hit and return the group's sequences once it reaches the threshold."""
    assert rule.threshold is not None  # noqa: S101 - callers check
    group_key = rule.group_key(entry)
    window_start = entry.occurred_at - rule.threshold.window
    await repository.delete_hits_before(
        session, rule_name=rule.name, group_key=group_key, cutoff=window_start
    )
    session.add(
        AlarmRuleHit(
            rule_name=rule.name,
            group_key=group_key,
            sequence=entry.sequence,
            occurred_at=entry.occurred_at,
        )
    )
    await session.flush()
    hits = await repository.list_hits_after(
        session, rule_name=rule.name, group_key=group_key, start=window_start
    )
    if len(hits) < rule.threshold.count:
        return None
    await repository.delete_hits(session, hit_ids=[hit.id for hit in hits])
    return [hit.sequence for hit in hits]


async def _raise_alarm(
    session: AsyncSession,
    *,
    config: AlarmConfig,
    rule: AlarmRule,
    entry: JournalEntry,
    sequences: list[int],
) -> Alarm:
    now = datetime.now(UTC)
    alarm = Alarm(
        rule_name=rule.name,
        severity=rule.severity.value,
        action=entry.action,
        actor=entry.actor,
        resource_type=entry.resource_type,
        resource_id=entry.resource_id,
        event_count=len(sequences),
        sequences=json.dumps(sequences),
        fired_at=now,
        delivery_state=(
            DeliveryState.PENDING.value
            if rule.targets
            else DeliveryState.NO_TARGETS.value
        ),
    )
    session.add(alarm)
    await session.flush()
    for target_name in rule.targets:
        session.add(
            AlarmDelivery(
                alarm_id=alarm.id,
                target_name=target_name,
                channel=config.targets[target_name].channel.value,
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_attempt_at=now,
            )
        )
    await session.flush()
    log.warning(
        "audit.alarm.raised",
        alarm_id=alarm.id,
        rule=rule.name,
        severity=rule.severity.value,
        action=entry.action,
        actor=entry.actor,
        event_count=len(sequences),
        sequences=sequences,
        targets=list(rule.targets),
    )
    return alarm
