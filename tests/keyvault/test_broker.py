"""The usage counter that replaces per-call audit events for data keys."""

from recon_keyvault.broker import UsageCounter
from structlog.testing import capture_logs


def test_usage_counter_logs_totals_after_interval() -> None:
    counter = UsageCounter(interval_s=0.0)

    with capture_logs() as logs:
        counter.add(operation="Decrypt", service="ingest")

    assert logs[0]["event"] == "keyvault.data_keys.used"
    assert logs[0]["counts"] == {"Decrypt:ingest": 1}
    assert logs[0]["total"] == 1


def test_usage_counter_quiet_within_interval() -> None:
    counter = UsageCounter(interval_s=3600.0)

    with capture_logs() as logs:
        counter.add(operation="Decrypt", service="ingest")
        counter.add(operation="GenerateDataKey", service="ingest")

    assert logs == []
    assert sum(counter.counts.values()) == 2
