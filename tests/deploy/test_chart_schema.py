"""values.schema.json rejects unknown, mistyped and missing values."""

from typing import Any

import helm_python as helm
import pytest

from .rendering import load_value_set, merge_values

# (test id, values merged over the minimal set, text the error must contain).
REJECTED_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-top-level-key", {"replicas": 3}, "'replicas' not allowed"),
    (
        "misspelled-service-key",
        {"services": {"ingest": {"replicaCont": 3}}},
        "'replicaCont' not allowed",
    ),
    ("unknown-service", {"services": {"ingset": {}}}, "'ingset' not allowed"),
    (
        "replicas-as-string",
        {"services": {"matcher": {"replicaCount": "two"}}},
        "/services/matcher/replicaCount",
    ),
    ("bank-id-uppercase", {"bankId": "ACME"}, "/bankId"),
    ("cidr-not-a-range", {"allowedClientCidrs": ["office"]}, "/allowedClientCidrs/0"),
    (
        "cidr-prefix-too-long",
        {"allowedClientCidrs": ["10.0.0.0/33"]},
        "/allowedClientCidrs/0",
    ),
    ("no-client-cidrs", {"allowedClientCidrs": []}, "/allowedClientCidrs"),
    (
        "missing-database-secret",
        {"database": {"existingSecret": ""}},
        "/database/existingSecret",
    ),
    (
        "kafka-protocol-unknown",
        {"kafka": {"securityProtocol": "TLS"}},
        "/kafka/securityProtocol",
    ),
    (
        "sasl-without-password-secret",
        {"kafka": {"securityProtocol": "SASL_SSL", "sasl": {"username": "recon"}}},
        "/kafka/sasl/existingSecret",
    ),
    (
        "topics-without-strimzi-cluster",
        {"kafka": {"topics": {"create": True}}},
        "/kafka/topics/strimziCluster",
    ),
    (
        "alb-without-waf",
        {
            "ingress": {
                "enabled": True,
                "host": "recon.example.com",
                "alb": {
                    "certificateArn": (
                        "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
                    )
                },
            }
        },
        "/ingress/alb/wafAclArn",
    ),
    (
        "ingress-without-host",
        {"ingress": {"enabled": True, "controller": "nginx"}},
        "/ingress/host",
    ),
    (
        "ingress-controller-unknown",
        {"ingress": {"controller": "traefik"}},
        "/ingress/controller",
    ),
    ("kms-key-not-an-arn", {"aws": {"kmsKeyArn": "my-key"}}, "/aws/kmsKeyArn"),
    (
        "memory-without-binary-unit",
        {"services": {"audit": {"resources": {"limits": {"memory": "1GB"}}}}},
        "/services/audit/resources/limits/memory",
    ),
    (
        "limits-removed",
        {"services": {"audit": {"resources": {"limits": None}}}},
        "/services/audit/resources",
    ),
    (
        "caller-unknown",
        {"services": {"matcher": {"allowedCallers": ["browser"]}}},
        "/services/matcher/allowedCallers/0",
    ),
    (
        "sftp-type-unknown",
        {"sftp": {"service": {"type": "External"}}},
        "/sftp/service/type",
    ),
    (
        "kafka-egress-empty-with-policies",
        {"kafka": {"egressCidrs": []}},
        "/kafka/egressCidrs",
    ),
    (
        "role-arn-not-iam",
        {"services": {"keyvault": {"serviceAccount": {"roleArn": "keyvault-role"}}}},
        "/services/keyvault/serviceAccount/roleArn",
    ),
    (
        "env-var-misspelled-field",
        {"services": {"ingest": {"extraEnv": [{"name": "X", "vaule": "1"}]}}},
        "'vaule' not allowed",
    ),
    ("missing-app-secrets", {"appSecrets": {"existingSecret": ""}}, "/appSecrets"),
    (
        "matcher-definitions-as-map",
        {"matcher": {"definitions": {"definitions": []}}},
        "/matcher/definitions",
    ),
    (
        "audit-alarm-rules-as-map",
        {"audit": {"alarmRules": {"rules": []}}},
        "/audit/alarmRules",
    ),
    (
        "audit-unknown-key",
        {"audit": {"alarmRule": ""}},
        "'alarmRule' not allowed",
    ),
    (
        "database-url-key-empty",
        {"services": {"audit": {"databaseUrlKey": ""}}},
        "/services/audit/databaseUrlKey",
    ),
    ("probe-period-zero", {"probes": {"liveness": {"periodSeconds": 0}}}, "/probes"),
    (
        "audit-seal-backend-unknown",
        {"audit": {"seal": {"backend": "glacier"}}},
        "/audit/seal/backend",
    ),
    (
        "audit-seal-unknown-key",
        {"audit": {"seal": {"bucketName": "recon-audit"}}},
        "'bucketName' not allowed",
    ),
    (
        "audit-seal-bucket-uppercase",
        {"audit": {"seal": {"bucket": "Recon-Audit"}}},
        "/audit/seal/bucket",
    ),
    (
        "audit-seal-endpoint-not-a-url",
        {"audit": {"seal": {"endpoint": "minio:9000"}}},
        "/audit/seal/endpoint",
    ),
    (
        "audit-seal-retention-zero",
        {"audit": {"seal": {"retentionDays": 0}}},
        "/audit/seal/retentionDays",
    ),
    (
        "audit-seal-every-entries-fraction",
        {"audit": {"seal": {"everyEntries": 10.5}}},
        "/audit/seal/everyEntries",
    ),
    (
        "audit-seal-after-minutes-zero",
        {"audit": {"seal": {"afterMinutes": 0}}},
        "/audit/seal/afterMinutes",
    ),
    (
        "audit-seal-claim-uppercase",
        {"audit": {"seal": {"existingClaim": "Audit-Segments"}}},
        "/audit/seal/existingClaim",
    ),
]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param(override, message, id=name)
        for name, override, message in REJECTED_VALUES
    ],
)
def test_schema_rejects_invalid_values(
    chart: helm.Chart, override: dict[str, Any], message: str
) -> None:
    values = merge_values(load_value_set("minimal"), override)

    with pytest.raises(helm.HelmValuesError) as raised:
        chart.validate_schema(values)

    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param(override, message, id=name)
        for name, override, message in REJECTED_VALUES
    ],
)
def test_render_rejects_invalid_values(
    render: Any, override: dict[str, Any], message: str
) -> None:
    values = merge_values(load_value_set("minimal"), override)

    with pytest.raises(helm.HelmValuesError) as raised:
        render(values)

    assert message in str(raised.value)


def test_schema_accepts_every_value_set(chart: helm.Chart, value_set_name: str) -> None:
    values = load_value_set(value_set_name)

    chart.validate_schema(values)


def test_render_rejects_min_replicas_above_max(render: Any) -> None:
    values = merge_values(
        load_value_set("minimal"),
        {"services": {"ingest": {"autoscaling": {"minReplicas": 5, "maxReplicas": 2}}}},
    )

    with pytest.raises(helm.HelmRenderError) as raised:
        render(values)

    assert "services.ingest.autoscaling.minReplicas (5)" in str(raised.value)
