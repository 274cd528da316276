"""Journal sealing settings that the chart gives the audit pods (audit.seal)."""

from typing import Any

import helm_python as helm
import pytest
from recon_audit.settings import AuditSettings, SealBackend

from .rendering import (
    Manifest,
    component_name,
    find,
    load_value_set,
    merge_values,
)

REGION = "eu-central-1"
KMS_KEY_ARN = (
    "arn:aws:kms:eu-central-1:210987654321:key/1a2b3c4d-0000-1111-2222-333344445555"
)
BUCKET = "recon-demo-bank-audit"
CLAIM = "recon-audit-segments"
SEGMENTS_VOLUME = "audit-segments"


def _values(seal: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Return the minimal value set with AWS settings and the given audit.seal."""
    values = load_value_set("minimal")
    del values["audit"]["seal"]
    values = merge_values(values, {"aws": {"region": REGION, "kmsKeyArn": KMS_KEY_ARN}})
    values = merge_values(values, extra)
    values["audit"]["seal"] = seal
    return values


def _pod_spec(manifests: list[Manifest], kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = find(manifests, kind, name)["spec"]["template"]["spec"]
    return spec


def _env(pod: dict[str, Any]) -> dict[str, Any]:
    container = pod["containers"][0]
    return {item["name"]: item.get("value") for item in container["env"]}


def _audit_env(manifests: list[Manifest]) -> dict[str, Any]:
    return _env(_pod_spec(manifests, "Deployment", component_name("audit")))


def _seal_env(manifests: list[Manifest]) -> dict[str, Any]:
    return {
        name: value
        for name, value in _audit_env(manifests).items()
        if name.startswith("AUDIT_SEAL_")
    }


def _https_rules(manifests: list[Manifest], service: str) -> list[dict[str, Any]]:
    policy = find(manifests, "NetworkPolicy", component_name(service))
    return [
        rule
        for rule in policy["spec"]["egress"] or []
        if {"protocol": "TCP", "port": 443} in rule.get("ports", [])
    ]


def _selects_service(peer: dict[str, Any], service: str) -> bool:
    labels = peer.get("podSelector", {}).get("matchLabels", {})
    return labels.get("app.kubernetes.io/component") == service


def test_seal_env_defaults_to_s3(render: Any) -> None:
    manifests = render(_values({"bucket": BUCKET}))

    env = _seal_env(manifests)

    assert env == {
        "AUDIT_SEAL_BACKEND": "s3",
        "AUDIT_SEAL_EVERY_ENTRIES": "1000",
        "AUDIT_SEAL_AFTER_MINUTES": "15",
        "AUDIT_SEAL_RETENTION_DAYS": "3653",
        "AUDIT_SEAL_S3_BUCKET": BUCKET,
        "AUDIT_SEAL_S3_REGION": REGION,
        "AUDIT_SEAL_KMS_KEY_ARN": KMS_KEY_ARN,
    }


def test_seal_env_overrides(render: Any) -> None:
    other_key = "arn:aws:kms:eu-west-2:210987654321:alias/recon-audit"
    seal = {
        "backend": "s3",
        "bucket": BUCKET,
        "prefix": "journal/",
        "region": "eu-west-2",
        "endpoint": "https://s3.eu-west-2.amazonaws.com",
        "kmsKeyArn": other_key,
        "retentionDays": 2557,
        "everyEntries": 1000000,
        "afterMinutes": 7.5,
    }

    env = _seal_env(render(_values(seal)))

    assert env["AUDIT_SEAL_S3_BUCKET"] == BUCKET
    assert env["AUDIT_SEAL_S3_PREFIX"] == "journal/"
    assert env["AUDIT_SEAL_S3_REGION"] == "eu-west-2"
    assert env["AUDIT_SEAL_S3_ENDPOINT_URL"] == "https://s3.eu-west-2.amazonaws.com"
    assert env["AUDIT_SEAL_KMS_KEY_ARN"] == other_key
    assert env["AUDIT_SEAL_RETENTION_DAYS"] == "2557"
    # Helm parses values as float64, which Go prints as "1e+06" unless the
    # template converts the value to an integer first.
    assert env["AUDIT_SEAL_EVERY_ENTRIES"] == "1000000"
    assert env["AUDIT_SEAL_AFTER_MINUTES"] == "7.5"


def test_seal_env_read_by_audit_settings(
    render: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seal = {
        "bucket": BUCKET,
        "endpoint": "http://127.0.0.1:9000",
        "retentionDays": 2557,
        "everyEntries": 500,
        "afterMinutes": 7.5,
    }
    for name, value in _seal_env(render(_values(seal))).items():
        monkeypatch.setenv(name, value)

    settings = AuditSettings()

    assert settings.seal_backend == SealBackend.S3
    assert settings.seal_s3_bucket == BUCKET
    assert settings.seal_s3_region == REGION
    assert settings.seal_s3_endpoint_url == "http://127.0.0.1:9000"
    assert settings.seal_kms_key_arn == KMS_KEY_ARN
    assert settings.seal_retention_days == 2557
    assert settings.seal_every_entries == 500
    assert settings.seal_after_minutes == 7.5


def test_seal_s3_gives_audit_aws_egress(render: Any) -> None:
    endpoints = ["10.30.96.0/24"]
    values = _values({"bucket": BUCKET}, aws={"egressCidrs": endpoints})

    manifests = render(values)

    rules = _https_rules(manifests, "audit")
    cidrs = [peer["ipBlock"]["cidr"] for peer in rules[0]["to"]]
    assert len(rules) == 1
    assert cidrs == endpoints
    assert rules == _https_rules(manifests, "ingest")


def test_seal_none_gives_audit_no_aws_egress(render: Any) -> None:
    manifests = render(_values({"backend": "none"}))

    assert _https_rules(manifests, "audit") == []
    assert _seal_env(manifests) == {"AUDIT_SEAL_BACKEND": "none"}


@pytest.mark.parametrize(
    ("seal", "extra", "message"),
    [
        pytest.param(
            {"backend": "local"},
            {},
            "audit.seal.backend is local but audit.seal.existingClaim is empty",
            id="local-without-claim",
        ),
        pytest.param(
            {"backend": "s3"},
            {},
            "audit.seal.backend is s3 but audit.seal.bucket is empty",
            id="s3-without-bucket",
        ),
        pytest.param(
            {"bucket": BUCKET},
            {"aws": {"region": ""}},
            "neither audit.seal.region nor aws.region is set",
            id="s3-without-region",
        ),
        pytest.param(
            {"bucket": BUCKET},
            {"aws": {"kmsKeyArn": ""}},
            "neither audit.seal.kmsKeyArn nor aws.kmsKeyArn is set",
            id="s3-without-kms-key",
        ),
    ],
)
def test_seal_incomplete_fails_render(
    render: Any, seal: dict[str, Any], extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmRenderError) as raised:
        render(_values(seal, **extra))

    assert message in str(raised.value)


def test_seal_local_mounts_claim(render: Any) -> None:
    manifests = render(_values({"backend": "local", "existingClaim": CLAIM}))

    pod = _pod_spec(manifests, "Deployment", component_name("audit"))
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["name"]: mount for mount in pod["containers"][0]["volumeMounts"]}
    env = _env(pod)
    assert volumes[SEGMENTS_VOLUME]["persistentVolumeClaim"] == {"claimName": CLAIM}
    assert "emptyDir" not in volumes[SEGMENTS_VOLUME]
    assert mounts[SEGMENTS_VOLUME]["mountPath"] == env["AUDIT_SEAL_STORAGE_PATH"]
    assert mounts[SEGMENTS_VOLUME].get("readOnly", False) is False
    assert env["AUDIT_SEAL_BACKEND"] == "local"
    assert "AUDIT_SEAL_S3_BUCKET" not in env


def test_seal_local_only_in_audit_deployment(render: Any) -> None:
    manifests = render(_values({"backend": "local", "existingClaim": CLAIM}))

    job = _pod_spec(manifests, "Job", f"{component_name('audit')}-migrate")
    keyvault = _pod_spec(manifests, "Deployment", component_name("keyvault"))

    job_volumes = [volume["name"] for volume in job["volumes"]]
    keyvault_volumes = [volume["name"] for volume in keyvault["volumes"]]
    job_env = _env(job)
    assert SEGMENTS_VOLUME not in job_volumes
    assert SEGMENTS_VOLUME not in keyvault_volumes
    assert "AUDIT_SEAL_STORAGE_PATH" not in job_env


def test_seal_local_lets_audit_call_keyvault(render: Any) -> None:
    manifests = render(_values({"backend": "local", "existingClaim": CLAIM}))

    keyvault = find(manifests, "NetworkPolicy", component_name("keyvault"))
    audit = find(manifests, "NetworkPolicy", component_name("audit"))

    keyvault_sources = [
        peer for rule in keyvault["spec"]["ingress"] for peer in rule["from"]
    ]
    audit_destinations = [
        peer for rule in audit["spec"]["egress"] for peer in rule.get("to", [])
    ]
    assert any(_selects_service(peer, "audit") for peer in keyvault_sources)
    assert any(_selects_service(peer, "ingest") for peer in keyvault_sources)
    assert any(_selects_service(peer, "keyvault") for peer in audit_destinations)
    assert _https_rules(manifests, "audit") == []


def test_seal_s3_keeps_audit_off_keyvault(render: Any) -> None:
    manifests = render(_values({"bucket": BUCKET}))

    keyvault = find(manifests, "NetworkPolicy", component_name("keyvault"))

    sources = [peer for rule in keyvault["spec"]["ingress"] for peer in rule["from"]]
    assert not any(_selects_service(peer, "audit") for peer in sources)


def test_aws_alb_values_seal_to_bucket(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    env = _seal_env(manifests)
    account = find(manifests, "ServiceAccount", component_name("audit"))
    role_arn = values["services"]["audit"]["serviceAccount"]["roleArn"]
    assert env["AUDIT_SEAL_BACKEND"] == "s3"
    assert env["AUDIT_SEAL_S3_BUCKET"] == values["audit"]["seal"]["bucket"]
    assert env["AUDIT_SEAL_S3_REGION"] == values["aws"]["region"]
    assert env["AUDIT_SEAL_KMS_KEY_ARN"] == values["aws"]["kmsKeyArn"]
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role_arn
    }
