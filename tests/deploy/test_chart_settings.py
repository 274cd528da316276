"""Service settings that the chart derives from values: storage, keys, files."""

from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
from recon_audit.alarms.rules_file import load_alarm_config

from .rendering import (
    SERVICE_NAMES,
    Manifest,
    component_name,
    find,
    load_value_set,
    merge_values,
    of_kind,
)

ALARM_RULES_CONFIG_MAP = "acme-recon-platform-audit-alarm-rules"
ALARM_RULES_CHECKSUM = "checksum/audit-alarm-rules"


def _container(manifests: list[Manifest], service: str) -> dict[str, Any]:
    deployment = find(manifests, "Deployment", component_name(service))
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def _env(manifests: list[Manifest], service: str) -> dict[str, Any]:
    return {
        item["name"]: item.get("value", item.get("valueFrom"))
        for item in _container(manifests, service)["env"]
    }


def _mounts(manifests: list[Manifest], service: str) -> dict[str, str]:
    return {
        mount["mountPath"]: mount["name"]
        for mount in _container(manifests, service)["volumeMounts"]
    }


def test_ingest_uses_s3_with_bank_prefix(render: Any) -> None:
    values = load_value_set("aws-alb")

    env = _env(render(values), "ingest")

    assert env["INGEST_STORAGE_BACKEND"] == "s3"
    assert env["INGEST_S3_BUCKET"] == values["aws"]["s3Bucket"]
    assert env["INGEST_S3_PREFIX"] == f"{values['bankId']}/"
    assert env["INGEST_S3_REGION"] == values["aws"]["region"]
    assert env["INGEST_KMS_KEY_ARN"] == values["aws"]["kmsKeyArn"]


def test_ingest_without_bucket_stores_on_data_volume(render: Any) -> None:
    manifests = render(load_value_set("minimal"))

    env = _env(manifests, "ingest")

    assert env["INGEST_STORAGE_BACKEND"] == "local"
    assert env["INGEST_STORAGE_PATH"].startswith("/var/lib/recon/")
    assert _mounts(manifests, "ingest")["/var/lib/recon"] == "data"


def test_ingest_sftp_listens_on_all_addresses(render: Any) -> None:
    env = _env(render(load_value_set("minimal")), "ingest")

    assert env["INGEST_SFTP_HOST"] == "0.0.0.0"  # noqa: S104
    assert env["INGEST_SFTP_PORT"] == "2222"


def test_ingest_sftp_files_mounted_from_secrets(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    env = _env(manifests, "ingest")
    mounts = _mounts(manifests, "ingest")
    host_key = env["INGEST_SFTP_HOST_KEY"]
    users_file = env["INGEST_SFTP_USERS_FILE"]
    assert host_key.rsplit("/", 1)[0] in mounts
    assert users_file.rsplit("/", 1)[0] in mounts
    assert host_key.endswith("/ssh_host_ed25519_key")


def test_ingest_generates_host_key_on_data_volume(render: Any) -> None:
    env = _env(render(load_value_set("minimal")), "ingest")

    assert env["INGEST_SFTP_HOST_KEY"].startswith("/var/lib/recon/")


def test_keyvault_uses_kms_when_key_arn_set(render: Any) -> None:
    values = load_value_set("aws-alb")

    env = _env(render(values), "keyvault")

    assert env["KEYVAULT_BACKEND"] == "aws-kms"
    assert env["KEYVAULT_KMS_KEY_ARN"] == values["aws"]["kmsKeyArn"]
    assert "KEYVAULT_MASTER_KEY" not in env


def test_keyvault_local_backend_reads_master_key_secret(render: Any) -> None:
    manifests = render(load_value_set("minimal"))

    env = _env(manifests, "keyvault")

    assert env["KEYVAULT_BACKEND"] == "local"
    assert env["KEYVAULT_MASTER_KEY"]["secretKeyRef"] == {
        "name": "recon-app-secrets",
        "key": "keyvault-master-key",
    }
    assert env["KEYVAULT_KEYRING_PATH"].startswith("/var/lib/recon/")


def test_service_tokens_keyed_per_service(render: Any) -> None:
    manifests = render(load_value_set("minimal"))

    for service in ("ingest", "reporting"):
        reference = _env(manifests, service)[f"{service.upper()}_SERVICE_TOKEN"]
        assert reference["secretKeyRef"]["key"] == f"service-token-{service}"


def test_services_call_keyvault_by_service_name(render: Any) -> None:
    manifests = render(load_value_set("minimal"))

    env = _env(manifests, "ingest")

    assert env["INGEST_KEYVAULT_URL"] == f"http://{component_name('keyvault')}:8080"


def test_reporting_session_secret_from_secret(render: Any) -> None:
    env = _env(render(load_value_set("minimal")), "reporting")

    assert env["REPORTING_SESSION_SECRET"]["secretKeyRef"]["key"] == (
        "reporting-session-secret"
    )


def test_matcher_definitions_mounted_from_config_map(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    config_map = find(manifests, "ConfigMap", "acme-recon-platform-matcher-definitions")
    env = _env(manifests, "matcher")
    directory, file_name = env["MATCHER_DEFINITIONS_FILE"].rsplit("/", 1)
    assert file_name in config_map["data"]
    assert _mounts(manifests, "matcher")[directory] == "matcher-definitions"


def test_matcher_definitions_keep_decimal_text(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    config_map = find(manifests, "ConfigMap", "acme-recon-platform-matcher-definitions")
    text = config_map["data"]["reconciliations.yaml"]
    assert "amount_tolerance: 0.10\n" in text
    assert text.strip() == values["matcher"]["definitions"].strip()


def test_matcher_definitions_change_rolls_pods(render: Any) -> None:
    values = load_value_set("aws-alb")
    changed = load_value_set("aws-alb")
    changed["matcher"]["definitions"] = values["matcher"]["definitions"].replace(
        "0.10", "0.20"
    )

    before = find(render(values), "Deployment", component_name("matcher"))
    after = find(render(changed), "Deployment", component_name("matcher"))

    key = "checksum/matcher-definitions"
    assert (
        before["spec"]["template"]["metadata"]["annotations"][key]
        != after["spec"]["template"]["metadata"]["annotations"][key]
    )


def test_matcher_migration_skips_definitions(render: Any) -> None:
    manifests = render(load_value_set("aws-alb"))

    job = find(manifests, "Job", f"{component_name('matcher')}-migrate")

    volumes = [volume["name"] for volume in job["spec"]["template"]["spec"]["volumes"]]
    assert "matcher-definitions" not in volumes


def test_services_read_own_database_url(render: Any) -> None:
    manifests = render(load_value_set("minimal"))

    keys = {
        service: _env(manifests, service)[f"{service.upper()}_DATABASE_URL"][
            "secretKeyRef"
        ]["key"]
        for service in SERVICE_NAMES
    }

    assert keys == {service: f"{service}-database-url" for service in SERVICE_NAMES}


def _pod_annotations(manifests: list[Manifest], service: str) -> dict[str, str]:
    deployment = find(manifests, "Deployment", component_name(service))
    annotations: dict[str, str] = deployment["spec"]["template"]["metadata"].get(
        "annotations", {}
    )
    return annotations


def _with_alarm_rules(text: str) -> dict[str, Any]:
    return merge_values(load_value_set("minimal"), {"audit": {"alarmRules": text}})


def test_alarm_rules_mounted_from_config_map(render: Any) -> None:
    manifests = render(load_value_set("aws-alb"))

    config_map = find(manifests, "ConfigMap", ALARM_RULES_CONFIG_MAP)
    deployment = find(manifests, "Deployment", component_name("audit"))
    volumes = {
        volume["name"]: volume
        for volume in deployment["spec"]["template"]["spec"]["volumes"]
    }
    mounts = {
        mount["name"]: mount for mount in _container(manifests, "audit")["volumeMounts"]
    }
    directory, file_name = _env(manifests, "audit")["AUDIT_ALARM_RULES_FILE"].rsplit(
        "/", 1
    )
    assert file_name in config_map["data"]
    assert volumes["audit-alarm-rules"]["configMap"]["name"] == ALARM_RULES_CONFIG_MAP
    assert mounts["audit-alarm-rules"]["mountPath"] == directory
    assert mounts["audit-alarm-rules"]["readOnly"] is True


def test_alarm_rules_text_unchanged(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    config_map = find(manifests, "ConfigMap", ALARM_RULES_CONFIG_MAP)
    assert list(config_map["data"]) == ["alarms.yaml"]
    assert config_map["data"]["alarms.yaml"] == values["audit"]["alarmRules"]
    assert config_map["metadata"]["labels"]["app.kubernetes.io/component"] == "audit"


def test_alarm_rules_only_in_audit_pods(render: Any) -> None:
    manifests = render(load_value_set("aws-alb"))

    for service in SERVICE_NAMES:
        deployment = find(manifests, "Deployment", component_name(service))
        volumes = [
            volume["name"]
            for volume in deployment["spec"]["template"]["spec"]["volumes"]
        ]
        annotations = _pod_annotations(manifests, service)
        expected = service == "audit"
        assert ("audit-alarm-rules" in volumes) is expected, service
        assert (ALARM_RULES_CHECKSUM in annotations) is expected, service


def test_alarm_rules_load_in_audit_service(render: Any, tmp_path: Path) -> None:
    manifests = render(load_value_set("aws-alb"))
    config_map = find(manifests, "ConfigMap", ALARM_RULES_CONFIG_MAP)
    rules_file = tmp_path / "alarms.yaml"
    rules_file.write_text(config_map["data"]["alarms.yaml"])
    # Each variable that comes from a Secret gets a stand-in URL, so a `url_env`
    # that no entry of the container's env sets stays missing and fails the load.
    environ = {
        item["name"]: item.get("value", f"https://{item['name'].lower()}.example/")
        for item in _container(manifests, "audit")["env"]
    }

    config = load_alarm_config(rules_file, environ=environ)

    rule_names = [rule.name for rule in config.rules]
    assert rule_names == ["permission-changes", "repeated-login-failures"]
    assert config.targets["security-hook"].url == (
        "https://audit_security_hook_url.example/"
    )
    assert config.targets["security-mail"].recipients == ("security@acme-bank.example",)


def test_alarm_rules_change_rolls_pods(render: Any) -> None:
    values = load_value_set("aws-alb")
    changed = load_value_set("aws-alb")
    changed["audit"]["alarmRules"] = values["audit"]["alarmRules"].replace(
        "count: 5", "count: 6"
    )

    before = _pod_annotations(render(values), "audit")
    after = _pod_annotations(render(changed), "audit")

    assert changed["audit"]["alarmRules"] != values["audit"]["alarmRules"]
    assert before[ALARM_RULES_CHECKSUM] != after[ALARM_RULES_CHECKSUM]


def test_alarm_rules_empty_renders_nothing(render: Any) -> None:
    manifests = render(_with_alarm_rules(""))

    config_maps = [item["metadata"]["name"] for item in of_kind(manifests, "ConfigMap")]
    deployment = find(manifests, "Deployment", component_name("audit"))
    volumes = [
        volume["name"] for volume in deployment["spec"]["template"]["spec"]["volumes"]
    ]
    assert ALARM_RULES_CONFIG_MAP not in config_maps
    assert "AUDIT_ALARM_RULES_FILE" not in _env(manifests, "audit")
    assert "/etc/recon/audit" not in _mounts(manifests, "audit")
    assert "audit-alarm-rules" not in volumes
    assert ALARM_RULES_CHECKSUM not in _pod_annotations(manifests, "audit")


def test_audit_migration_skips_alarm_rules(render: Any) -> None:
    manifests = render(load_value_set("aws-alb"))

    job = find(manifests, "Job", f"{component_name('audit')}-migrate")

    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    volumes = [volume["name"] for volume in pod["volumes"]]
    mounts = [mount["name"] for mount in container["volumeMounts"]]
    env = [item["name"] for item in container["env"]]
    # The Deployment of the same release mounts the rules, so their absence
    # here comes from the migration flag and not from empty values.
    assert "AUDIT_ALARM_RULES_FILE" in _env(manifests, "audit")
    assert "audit-alarm-rules" not in volumes
    assert "audit-alarm-rules" not in mounts
    assert "AUDIT_ALARM_RULES_FILE" not in env


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("targets:\n\tops: {}\n", id="tab-indent"),
        pytest.param("- name: login-burst\n", id="list"),
        pytest.param("rules\n", id="scalar"),
    ],
)
def test_alarm_rules_non_map_fails_render(render: Any, text: str) -> None:
    with pytest.raises(helm.HelmRenderError) as raised:
        render(_with_alarm_rules(text))

    assert "audit.alarmRules is not a YAML map" in str(raised.value)


def test_alarm_rules_comments_only_render(render: Any) -> None:
    text = "# Only the built-in rule for now.\n"

    manifests = render(_with_alarm_rules(text))

    config_map = find(manifests, "ConfigMap", ALARM_RULES_CONFIG_MAP)
    assert config_map["data"]["alarms.yaml"] == text
