"""End-to-end test: an event on the Kafka topic raises an alarm and notifies."""

from pathlib import Path

import pytest
from recon_audit.app import create_app
from recon_common.events import TOPIC_AUDIT_EVENTS
from recon_common.kafka import create_producer, topic_name

from tests.audit.alarms.conftest import (
    SECRET_ACCOUNT,
    audit_envelope,
    audit_settings,
    wait_for,
    write_rules,
)
from tests.audit.alarms.receivers import HttpReceiver


@pytest.mark.kafka
async def test_kafka_event_raises_alarm_and_notifies(
    database_url: str,
    kafka_bootstrap: str,
    tmp_path: Path,
    http_receiver: HttpReceiver,
) -> None:
    rules = write_rules(
        tmp_path,
        {
            "targets": {"hook": {"type": "webhook", "url": http_receiver.url("/hook")}},
            "builtin": {"permission_changes": {"targets": ["hook"]}},
        },
    )
    settings = audit_settings(
        database_url, kafka_bootstrap_servers=kafka_bootstrap, alarm_rules_file=rules
    )
    app = create_app(settings)
    envelope = audit_envelope(
        action="grant.created",
        actor="keyvault-admin",
        resource_type="grant",
        resource_id="grant-3",
        details={"account": SECRET_ACCOUNT},
    )

    async with app.router.lifespan_context(app):
        producer = create_producer(settings)
        await producer.start()
        try:
            await producer.send_and_wait(
                topic_name(settings, TOPIC_AUDIT_EVENTS),
                value=envelope.model_dump_json().encode(),
            )
        finally:
            await producer.stop()

        async def notified() -> bool:
            return bool(http_receiver.accepted("/hook"))

        await wait_for(notified, timeout_s=60.0)
    payload = http_receiver.accepted("/hook")[0]

    assert payload["rule"] == "permission-changes"
    assert payload["action"] == "grant.created"
    assert payload["resource_id"] == "grant-3"
    assert payload["sequences"] == [1]
    assert SECRET_ACCOUNT.encode() not in http_receiver.raw_bodies[0]
