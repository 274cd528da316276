"""Strimzi KafkaTopic objects for the platform's topics and dead-letter topics."""

from typing import Any

from .rendering import load_value_set, of_kind

TOPICS = ("file-landed", "transactions-parsed", "matches-produced", "audit-events")


def test_topics_cover_main_and_dead_letter_topics(render: Any) -> None:
    manifests = render(load_value_set("nginx"))

    names = {item["spec"]["topicName"] for item in of_kind(manifests, "KafkaTopic")}

    assert names == set(TOPICS) | {f"{topic}.dlq" for topic in TOPICS}


def test_topics_use_strimzi_v1beta2_and_cluster_label(render: Any) -> None:
    values = load_value_set("nginx")

    topics = of_kind(render(values), "KafkaTopic")

    cluster = values["kafka"]["topics"]["strimziCluster"]
    for topic in topics:
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == cluster


def test_topics_retention_in_milliseconds(render: Any) -> None:
    values = load_value_set("nginx")

    topics = of_kind(render(values), "KafkaTopic")

    retention = {
        item["spec"]["topicName"]: item["spec"]["config"]["retention.ms"]
        for item in topics
    }
    assert retention["file-landed"] == 604800000
    assert retention["file-landed.dlq"] == 2592000000


def test_topics_carry_prefix(render: Any) -> None:
    values = load_value_set("nginx")
    values["kafka"]["topicPrefix"] = "acme."

    topics = of_kind(render(values), "KafkaTopic")

    names = {item["spec"]["topicName"] for item in topics}
    assert "acme.audit-events.dlq" in names


def test_topics_off_by_default(render: Any) -> None:
    manifests = render(load_value_set("aws-alb"))

    assert of_kind(manifests, "KafkaTopic") == []
