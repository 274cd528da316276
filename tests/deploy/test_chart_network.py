"""Ingress, SFTP load balancer and NetworkPolicy flows of the rendered chart.

The flow checks evaluate the rendered NetworkPolicies with the Kubernetes rules
for pods in one namespace. A connection is allowed when the source's egress
policies and the destination's ingress policies both admit it, and a pod that
no policy of a direction selects is open in that direction. Peers with an
ipBlock or a namespaceSelector never match a pod of the release here, because
pod addresses and namespace labels are not known before install.
"""

from typing import Any

from .rendering import (
    SERVICE_NAMES,
    Manifest,
    component_name,
    find,
    load_value_set,
    of_kind,
)

# Service-to-service HTTP calls the platform makes. Every other pair is denied.
EXPECTED_HTTP_FLOWS = {("reporting", "matcher"), ("ingest", "keyvault")}
HTTP_PORT = (8080, "http")


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    match_labels: dict[str, str] = selector.get("matchLabels", {})
    return all(labels.get(key) == value for key, value in match_labels.items())


def _peer_matches(peer: dict[str, Any], labels: dict[str, str]) -> bool:
    if "ipBlock" in peer or "namespaceSelector" in peer:
        return False
    return _selects(peer["podSelector"], labels)


def _port_matches(rule: dict[str, Any], port: tuple[int, str]) -> bool:
    if "ports" not in rule:
        return True
    return any(item.get("port") in port for item in rule["ports"])


def _admits(
    policies: list[Manifest],
    selected: dict[str, str],
    peer: dict[str, str],
    port: tuple[int, str],
    direction: str,
) -> bool:
    policy_type, rules_key, peers_key = {
        "ingress": ("Ingress", "ingress", "from"),
        "egress": ("Egress", "egress", "to"),
    }[direction]
    applying = [
        policy
        for policy in policies
        if policy_type in policy["spec"]["policyTypes"]
        and _selects(policy["spec"]["podSelector"], selected)
    ]
    if not applying:
        return True
    return any(
        _port_matches(rule, port)
        and any(_peer_matches(item, peer) for item in rule.get(peers_key, []))
        for policy in applying
        for rule in policy["spec"].get(rules_key) or []
    )


def _pod_labels(manifests: list[Manifest], service: str) -> dict[str, str]:
    deployment = find(manifests, "Deployment", component_name(service))
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def _flow_allowed(
    manifests: list[Manifest], source: dict[str, str], destination: dict[str, str]
) -> bool:
    policies = of_kind(manifests, "NetworkPolicy")
    egress = _admits(policies, source, destination, HTTP_PORT, "egress")
    ingress = _admits(policies, destination, source, HTTP_PORT, "ingress")
    return egress and ingress


def _policy(manifests: list[Manifest], service: str) -> dict[str, Any]:
    spec: dict[str, Any] = find(manifests, "NetworkPolicy", component_name(service))[
        "spec"
    ]
    return spec


def _ip_blocks(rule: dict[str, Any]) -> list[str]:
    return [peer["ipBlock"]["cidr"] for peer in rule["from"] if "ipBlock" in peer]


def test_network_policies_allow_only_expected_http_flows(
    manifests: list[Manifest],
) -> None:
    allowed = {
        (source, destination)
        for source in SERVICE_NAMES
        for destination in SERVICE_NAMES
        if source != destination
        and _flow_allowed(
            manifests,
            _pod_labels(manifests, source),
            _pod_labels(manifests, destination),
        )
    }

    assert allowed == EXPECTED_HTTP_FLOWS


def test_network_policies_deny_migration_job_to_services(
    manifests: list[Manifest],
) -> None:
    job = find(manifests, "Job", f"{component_name('ingest')}-migrate")
    job_labels = job["spec"]["template"]["metadata"]["labels"]

    reachable = [
        service
        for service in SERVICE_NAMES
        if _flow_allowed(manifests, job_labels, _pod_labels(manifests, service))
    ]

    assert reachable == []


def test_network_policy_default_deny_selects_release(
    manifests: list[Manifest],
) -> None:
    deny = find(manifests, "NetworkPolicy", "acme-recon-platform-default-deny")

    assert deny["spec"]["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/name": "recon-platform",
            "app.kubernetes.io/instance": "acme",
        }
    }
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


def test_network_policy_allows_dns_egress(manifests: list[Manifest]) -> None:
    common = find(manifests, "NetworkPolicy", "acme-recon-platform-common-egress")
    dns_rules = [
        rule
        for rule in common["spec"]["egress"]
        if {"protocol": "UDP", "port": 53} in rule["ports"]
    ]

    assert len(dns_rules) == 1
    assert {"protocol": "TCP", "port": 53} in dns_rules[0]["ports"]
    assert dns_rules[0]["to"][0]["podSelector"] == {
        "matchLabels": {"k8s-app": "kube-dns"}
    }


def test_network_policy_egress_to_kafka_and_database(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    common = find(manifests, "NetworkPolicy", "acme-recon-platform-common-egress")
    rules = {
        (peer["ipBlock"]["cidr"], port["port"])
        for rule in common["spec"]["egress"]
        for peer in rule["to"]
        if "ipBlock" in peer
        for port in rule["ports"]
    }
    assert (values["kafka"]["egressCidrs"][0], 9096) in rules
    assert (values["database"]["egressCidrs"][0], 1521) in rules
    assert (values["observability"]["egressCidrs"][0], 4317) in rules


def test_network_policy_aws_egress_only_for_aws_clients(
    manifests: list[Manifest], value_set_name: str
) -> None:
    values = load_value_set(value_set_name)
    services = values.get("services", {})
    # The chart's default sealing backend is s3, which sends audit to S3 as well.
    seal_backend = values.get("audit", {}).get("seal", {}).get("backend", "s3")
    expected = {"ingest", "keyvault"} | ({"audit"} if seal_backend == "s3" else set())
    https_egress: set[str] = set()
    for service in SERVICE_NAMES:
        # Rules from services.<name>.extraEgress are the operator's own, such as
        # a webhook that audit alarms notify, so only the chart's rules count.
        extra_egress = services.get(service, {}).get("extraEgress", [])
        for rule in _policy(manifests, service)["egress"] or []:
            if rule in extra_egress:
                continue
            if {"protocol": "TCP", "port": 443} in rule.get("ports", []):
                https_egress.add(service)

    assert https_egress == expected


def test_network_policy_sftp_admits_client_cidrs(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    rules = [
        rule
        for rule in _policy(manifests, "ingest")["ingress"]
        if rule["ports"] == [{"protocol": "TCP", "port": "sftp"}]
    ]
    expected = (
        values["allowedClientCidrs"] + values["networkPolicy"]["loadBalancerCidrs"]
    )
    assert len(rules) == 1
    assert _ip_blocks(rules[0]) == expected


def test_network_policy_reporting_admits_ingress_controller(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    rules = _policy(manifests, "reporting")["ingress"]
    controller_peer = rules[0]["from"][0]
    assert len(rules) == 1
    assert controller_peer["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}
    }
    assert _ip_blocks(rules[0]) == values["networkPolicy"]["ingressController"]["cidrs"]
    assert rules[0]["ports"] == [{"protocol": "TCP", "port": "http"}]


def test_network_policy_audit_admits_no_ingress(manifests: list[Manifest]) -> None:
    assert _policy(manifests, "audit")["ingress"] is None


def test_network_policy_extra_egress_appended(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    # The chart's own rules come first: S3 on TCP 443 while audit seals to S3.
    expected = values["services"]["audit"]["extraEgress"]
    egress = _policy(manifests, "audit")["egress"]
    assert egress[-len(expected) :] == expected
    assert len(egress) == len(expected) + 1


def test_network_policy_disabled_renders_none(render: Any) -> None:
    values = load_value_set("minimal")
    values["networkPolicy"] = {"enabled": False}

    manifests = render(values)

    assert of_kind(manifests, "NetworkPolicy") == []


def test_alb_ingress_carries_waf_and_client_cidrs(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    ingress = find(manifests, "Ingress", component_name("reporting"))
    annotations = ingress["metadata"]["annotations"]
    alb = values["ingress"]["alb"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert annotations["alb.ingress.kubernetes.io/inbound-cidrs"] == ",".join(
        values["allowedClientCidrs"]
    )
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] == alb["wafAclArn"]
    assert (
        annotations["alb.ingress.kubernetes.io/certificate-arn"]
        == alb["certificateArn"]
    )
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert not any(key.startswith("nginx.") for key in annotations)


def test_nginx_ingress_whitelists_client_cidrs(render: Any) -> None:
    values = load_value_set("nginx")

    manifests = render(values)

    ingress = find(manifests, "Ingress", component_name("reporting"))
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert annotations["nginx.ingress.kubernetes.io/whitelist-source-range"] == (
        ",".join(values["allowedClientCidrs"])
    )
    assert ingress["spec"]["tls"][0]["secretName"] == "recon-local-tls"
    assert not any(key.startswith("alb.") for key in annotations)


def test_ingress_routes_host_to_reporting(render: Any) -> None:
    values = load_value_set("nginx")

    manifests = render(values)

    rule = find(manifests, "Ingress", component_name("reporting"))["spec"]["rules"][0]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert rule["host"] == values["ingress"]["host"]
    assert backend == {"name": component_name("reporting"), "port": {"name": "http"}}


def test_ingress_annotations_override_chart_defaults(render: Any) -> None:
    values = load_value_set("aws-alb")
    values["ingress"]["annotations"] = {"alb.ingress.kubernetes.io/scheme": "internal"}

    manifests = render(values)

    ingress = find(manifests, "Ingress", component_name("reporting"))
    scheme = ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/scheme"]
    assert scheme == "internal"


def test_minimal_renders_no_ingress(render: Any) -> None:
    manifests = render(load_value_set("minimal"))

    assert of_kind(manifests, "Ingress") == []


def test_reporting_env_carries_client_cidrs(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    deployment = find(manifests, "Deployment", component_name("reporting"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["REPORTING_ALLOWED_CIDRS"] == ",".join(values["allowedClientCidrs"])
    assert env["REPORTING_TRUSTED_PROXIES"] == ",".join(
        values["reporting"]["trustedProxies"]
    )
    assert env["REPORTING_MATCHER_URL"] == f"http://{component_name('matcher')}:8080"


def test_sftp_load_balancer_admits_client_cidrs(render: Any) -> None:
    values = load_value_set("aws-alb")

    manifests = render(values)

    service = find(manifests, "Service", f"{component_name('ingest')}-sftp")
    annotations = service["metadata"]["annotations"]
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["loadBalancerSourceRanges"] == values["allowedClientCidrs"]
    assert annotations[f"{prefix}nlb-target-type"] == "ip"
    assert annotations[f"{prefix}scheme"] == "internet-facing"
    assert (
        "preserve_client_ip.enabled=true"
        in annotations[f"{prefix}target-group-attributes"]
    )
    assert service["spec"]["ports"] == [
        {"name": "sftp", "port": 22, "targetPort": "sftp", "protocol": "TCP"}
    ]


def test_sftp_node_port_has_no_aws_annotations(render: Any) -> None:
    manifests = render(load_value_set("nginx"))

    service = find(manifests, "Service", f"{component_name('ingest')}-sftp")

    assert service["spec"]["type"] == "NodePort"
    assert "annotations" not in service["metadata"]
    assert "loadBalancerSourceRanges" not in service["spec"]
