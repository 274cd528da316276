"""Pod hardening, probes, resources and companions of every workload."""

from typing import Any

import pytest

from .rendering import (
    SERVICE_NAMES,
    Manifest,
    component_name,
    find,
    load_value_set,
    of_kind,
)

# Settings that must come from a Secret, never from a plain value.
SECRET_SETTINGS = (
    "DATABASE_URL",
    "SASL_PASSWORD",
    "SERVICE_TOKEN",
    "SERVICE_TOKENS",
    "MASTER_KEY",
    "SESSION_SECRET",
)
# The pods' only writable path, an emptyDir, not a shared host directory.
TMP_PATH = "/tmp"  # noqa: S108
# Inside a pod the services must listen on every interface for probes and peers.
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104


def _pod_specs(manifests: list[Manifest]) -> list[tuple[str, dict[str, Any]]]:
    """Return (object name, pod spec) of every Deployment and Job."""
    return [
        (item["metadata"]["name"], item["spec"]["template"]["spec"])
        for item in manifests
        if item["kind"] in {"Deployment", "Job"}
    ]


def _containers(manifests: list[Manifest]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{name}/{container['name']}", container)
        for name, spec in _pod_specs(manifests)
        for container in spec["containers"] + spec.get("initContainers", [])
    ]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Tell whether a matchLabels-only label selector selects the labels."""
    assert set(selector) == {"matchLabels"}, f"unexpected selector {selector}"
    return all(
        labels.get(key) == value for key, value in selector["matchLabels"].items()
    )


def test_pods_run_as_non_root_user(manifests: list[Manifest]) -> None:
    for name, spec in _pod_specs(manifests):
        context = spec["securityContext"]

        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] == 10001, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name


def test_pods_mount_no_service_account_token(manifests: list[Manifest]) -> None:
    for name, spec in _pod_specs(manifests):
        assert spec["automountServiceAccountToken"] is False, name


def test_containers_security_context_hardened(manifests: list[Manifest]) -> None:
    for name, container in _containers(manifests):
        context = container["securityContext"]

        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] == 10001, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"] == {"drop": ["ALL"]}, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name


def test_containers_tmp_is_empty_dir(manifests: list[Manifest]) -> None:
    for name, spec in _pod_specs(manifests):
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}

            assert TMP_PATH in mounts, name
            assert "emptyDir" in volumes[mounts[TMP_PATH]["name"]], name


def test_containers_resources_requested_and_limited(manifests: list[Manifest]) -> None:
    for name, container in _containers(manifests):
        resources = container["resources"]

        assert set(resources["requests"]) == {"cpu", "memory"}, name
        assert set(resources["limits"]) == {"cpu", "memory"}, name


def test_deployments_probe_health_endpoints(manifests: list[Manifest]) -> None:
    for deployment in of_kind(manifests, "Deployment"):
        name = deployment["metadata"]["name"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}

        assert container["livenessProbe"]["httpGet"] == {
            "path": "/healthz",
            "port": "http",
        }, name
        assert container["readinessProbe"]["httpGet"] == {
            "path": "/readyz",
            "port": "http",
        }, name
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name
        assert ports["http"] == 8080, name


def test_deployments_serve_and_bind_all_addresses(manifests: list[Manifest]) -> None:
    for service in SERVICE_NAMES:
        deployment = find(manifests, "Deployment", component_name(service))
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: item.get("value") for item in container["env"]}
        prefix = f"{service.upper()}_"

        assert container["args"] == ["serve"], service
        assert env[f"{prefix}HTTP_HOST"] == ALL_ADDRESSES, service
        assert env[f"{prefix}HTTP_PORT"] == "8080", service
        assert env[f"{prefix}LOG_FORMAT"] == "json", service


def test_deployments_read_secrets_from_secret_refs(manifests: list[Manifest]) -> None:
    for deployment in of_kind(manifests, "Deployment"):
        name = deployment["metadata"]["name"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: item for item in container["env"]}
        secret_names = [key for key in env if key.endswith(SECRET_SETTINGS)]

        assert secret_names, name
        for key in secret_names:
            assert "value" not in env[key], f"{name} {key}"
            assert "secretKeyRef" in env[key]["valueFrom"], f"{name} {key}"


def test_deployments_env_uses_service_prefix(manifests: list[Manifest]) -> None:
    for service in SERVICE_NAMES:
        deployment = find(manifests, "Deployment", component_name(service))
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        names = [item["name"] for item in container["env"]]
        foreign = [
            name
            for name in names
            if not name.startswith((f"{service.upper()}_", "OTEL_", "AWS_"))
        ]

        assert foreign == [], service


def test_deployments_have_matching_pod_disruption_budget(
    manifests: list[Manifest],
) -> None:
    budgets = of_kind(manifests, "PodDisruptionBudget")
    for deployment in of_kind(manifests, "Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [
            item for item in budgets if _selects(item["spec"]["selector"], labels)
        ]

        assert len(matching) == 1, name
        assert matching[0]["spec"]["maxUnavailable"] >= 1, name


def test_deployments_selected_by_network_policies(manifests: list[Manifest]) -> None:
    policies = of_kind(manifests, "NetworkPolicy")
    for item in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        name = item["metadata"]["name"]
        labels = item["spec"]["template"]["metadata"]["labels"]
        selecting = [
            policy
            for policy in policies
            if _selects(policy["spec"]["podSelector"], labels)
        ]
        types = {kind for policy in selecting for kind in policy["spec"]["policyTypes"]}

        assert selecting, name
        assert types == {"Ingress", "Egress"}, name


def test_deployments_selector_matches_pod_labels(manifests: list[Manifest]) -> None:
    for deployment in of_kind(manifests, "Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]

        assert _selects(deployment["spec"]["selector"], labels), name


def test_services_select_only_their_deployment(manifests: list[Manifest]) -> None:
    pods = [
        item["spec"]["template"]["metadata"]["labels"]
        for item in of_kind(manifests, "Deployment") + of_kind(manifests, "Job")
    ]
    for service in of_kind(manifests, "Service"):
        selector = {"matchLabels": service["spec"]["selector"]}
        selected = [labels for labels in pods if _selects(selector, labels)]

        assert len(selected) == 1, service["metadata"]["name"]


def test_deployments_use_own_service_account(manifests: list[Manifest]) -> None:
    accounts = {
        item["metadata"]["name"] for item in of_kind(manifests, "ServiceAccount")
    }
    for deployment in of_kind(manifests, "Deployment"):
        spec = deployment["spec"]["template"]["spec"]

        assert spec["serviceAccountName"] == deployment["metadata"]["name"]
        assert spec["serviceAccountName"] in accounts


def test_service_account_carries_role_arn(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    for service in ("ingest", "keyvault"):
        account = find(manifests, "ServiceAccount", component_name(service))
        expected = values["services"][service]["serviceAccount"]["roleArn"]
        assert account["metadata"]["annotations"] == {
            "eks.amazonaws.com/role-arn": expected
        }
    matcher = find(manifests, "ServiceAccount", component_name("matcher"))
    assert "annotations" not in matcher["metadata"]


def test_autoscalers_target_their_deployment(manifests: list[Manifest]) -> None:
    deployments = {
        item["metadata"]["name"]: item for item in of_kind(manifests, "Deployment")
    }
    for autoscaler in of_kind(manifests, "HorizontalPodAutoscaler"):
        target = autoscaler["spec"]["scaleTargetRef"]

        assert autoscaler["apiVersion"] == "autoscaling/v2"
        assert target["kind"] == "Deployment"
        assert target["name"] in deployments
        assert "replicas" not in deployments[target["name"]]["spec"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_autoscaling_off_sets_replicas(render: Any, service: str) -> None:
    values = load_value_set("minimal")
    values["services"] = {
        service: {"autoscaling": {"enabled": False}, "replicaCount": 3}
    }

    manifests = render(values)

    deployment = find(manifests, "Deployment", component_name(service))
    autoscalers = [
        item["metadata"]["name"]
        for item in of_kind(manifests, "HorizontalPodAutoscaler")
    ]
    assert deployment["spec"]["replicas"] == 3
    assert component_name(service) not in autoscalers


def test_migration_jobs_run_as_pre_install_hooks(manifests: list[Manifest]) -> None:
    jobs = of_kind(manifests, "Job")
    for service in SERVICE_NAMES:
        job = find(jobs, "Job", f"{component_name(service)}-migrate")
        deployment = find(manifests, "Deployment", component_name(service))
        container = job["spec"]["template"]["spec"]["containers"][0]
        service_image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        annotations = job["metadata"]["annotations"]

        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade", service
        assert container["args"] == ["migrate"], service
        assert container["image"] == service_image, service
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never", service
    assert len(jobs) == len(SERVICE_NAMES)


def test_migrations_disabled_render_no_jobs(render: Any) -> None:
    values = load_value_set("minimal")
    values["migrations"] = {"enabled": False}

    manifests = render(values)

    assert of_kind(manifests, "Job") == []


def test_images_use_registry_and_app_version(render: Any, chart: Any) -> None:
    values = load_value_set("aws-alb")
    values["services"]["audit"]["image"] = {"tag": "sha256:" + "a" * 64}

    manifests = render(values)

    registry = values["image"]["registry"]
    ingest = find(manifests, "Deployment", component_name("ingest"))
    audit = find(manifests, "Deployment", component_name("audit"))
    ingest_image = ingest["spec"]["template"]["spec"]["containers"][0]["image"]
    audit_image = audit["spec"]["template"]["spec"]["containers"][0]["image"]
    assert ingest_image == f"{registry}/recon-ingest:{chart.metadata['appVersion']}"
    assert audit_image == f"{registry}/recon-audit@sha256:{'a' * 64}"


def test_ingest_exposes_sftp_port(manifests: list[Manifest]) -> None:
    deployment = find(manifests, "Deployment", component_name("ingest"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}

    assert ports["sftp"] == 2222


def test_pod_volumes_allowed_by_restricted_standard(
    manifests: list[Manifest],
) -> None:
    # Volume types that the "restricted" Pod Security Standard admits.
    allowed = {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
    for name, spec in _pod_specs(manifests):
        for volume in spec["volumes"]:
            kinds = set(volume) - {"name"}

            assert kinds <= allowed, f"{name} {volume['name']}"
