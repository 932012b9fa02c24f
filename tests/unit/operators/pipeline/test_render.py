"""What the operator applies for a spec: each child owned, labelled, locked down, deterministic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from operators.pipeline import topology
from operators.pipeline.network import provider_port
from operators.pipeline.objects import SPEC_HASH
from operators.pipeline.pods import workload_env
from operators.pipeline.render import render_children, replicas_for
from tests.unit.operators.pipeline.crd_schema import example
from tests.unit.operators.pipeline.rendering import (
    UID,
    by_kind,
    children,
    owner_of,
    pipeline,
    spec_with,
)

NAMES = ("local", "dev", "prod")
PER_WORKLOAD = ("ServiceAccount", "ConfigMap", "NetworkPolicy", "Service", "Deployment")


@pytest.mark.parametrize("name", NAMES)
def test_every_workload_gets_every_kind(name: str) -> None:
    objects = children(name)
    for workload in pipeline(name).spec.workloads:
        for kind in (*PER_WORKLOAD, "ServiceMonitor"):
            assert f"conveyor-{workload}" in by_kind(objects, kind), (kind, workload)
    assert list(by_kind(objects, "PrometheusRule")) == ["conveyor-slo"]


def test_without_the_prometheus_operator_there_are_no_monitoring_kinds() -> None:
    kinds = {o["kind"] for o in children("prod", prometheus_operator=False)}
    assert "ServiceMonitor" not in kinds
    assert "PrometheusRule" not in kinds


@pytest.mark.parametrize("name", NAMES)
def test_every_child_is_owned_labelled_namespaced_and_hashed(name: str) -> None:
    resource = pipeline(name)
    for child in children(name):
        meta = child["metadata"]
        assert meta["namespace"] == resource.metadata.namespace
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "conveyor.dev/v1alpha1",
                "kind": "OrderPipeline",
                "name": "conveyor",
                "uid": UID,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        labels = meta["labels"]
        assert labels["app.kubernetes.io/instance"] == "conveyor"
        assert labels["app.kubernetes.io/part-of"] == "conveyor"
        assert labels["app.kubernetes.io/managed-by"] == "conveyor-operator"
        assert labels["app.kubernetes.io/name"] == labels["app.kubernetes.io/component"]
        assert meta["name"] == f"conveyor-{labels['app.kubernetes.io/component']}"
        assert len(meta["annotations"][SPEC_HASH]) == 16


def test_rendering_is_deterministic_and_ordered_for_applying() -> None:
    first, second = children("prod"), children("prod")
    assert json.dumps(first) == json.dumps(second)
    kinds = [o["kind"] for o in first]
    assert kinds.index("ServiceAccount") < kinds.index("ConfigMap") < kinds.index("Deployment")
    assert kinds[-1] == "PrometheusRule"


def test_a_spec_change_changes_only_the_hashes_of_what_it_touches() -> None:
    resource = pipeline("local")
    raw = example("local")
    raw["spec"]["workloads"]["payment"]["env"] = {"PAYMENT_RETRIES": "5"}
    changed = type(resource).model_validate(raw)
    owner = owner_of(resource)
    before = render_children(owner, resource.spec, prometheus_operator=False)
    after = render_children(owner, changed.spec, prometheus_operator=False)
    differs = {
        (a["kind"], a["metadata"]["name"])
        for a, b in zip(before, after, strict=True)
        if a["metadata"]["annotations"] != b["metadata"]["annotations"]
    }
    assert differs == {("ConfigMap", "conveyor-payment"), ("Deployment", "conveyor-payment")}


def test_hpa_only_for_cpu_scaling_with_distinct_bounds() -> None:
    objects = children("prod")
    assert set(by_kind(objects, "HorizontalPodAutoscaler")) == {
        "conveyor-gateway",
        "conveyor-identity",
        "conveyor-catalog",
    }
    hpa = by_kind(objects, "HorizontalPodAutoscaler")["conveyor-gateway"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 12)
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "conveyor-gateway",
    }
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300


def test_equal_cpu_bounds_mean_fixed_replicas_and_no_hpa() -> None:
    raw = example("dev")
    raw["spec"]["workloads"]["order"]["autoscaling"] = {"minReplicas": 2, "maxReplicas": 2}
    resource = type(pipeline("dev")).model_validate(raw)
    objects = render_children(owner_of(resource), resource.spec, prometheus_operator=False)
    assert "conveyor-order" not in by_kind(objects, "HorizontalPodAutoscaler")
    assert by_kind(objects, "Deployment")["conveyor-order"]["spec"]["replicas"] == 2


def test_hpa_workloads_leave_replicas_to_the_hpa_others_render_a_count() -> None:
    deployments = by_kind(children("prod"), "Deployment")
    assert "replicas" not in deployments["conveyor-gateway"]["spec"]
    assert deployments["conveyor-order"]["spec"]["replicas"] == 3  # lag-scaled: lower bound


def test_lag_decisions_are_rendered_within_the_bounds() -> None:
    spec = pipeline("prod").spec
    assert replicas_for(spec, "order", {"order": 7}) == 7
    assert replicas_for(spec, "order", {"order": 40}) == 12
    assert replicas_for(spec, "order", {"order": 1}) == 3
    assert replicas_for(spec, "gateway", {"gateway": 5}) is None


def test_scale_units_multiply_replicas_and_bounds() -> None:
    spec = spec_with("prod", replicas=2)
    assert spec.bounds("order") == (6, 24)
    doubled = render_children(owner_of(pipeline("prod")), spec, prometheus_operator=False)
    hpa = by_kind(doubled, "HorizontalPodAutoscaler")["conveyor-gateway"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (6, 24)
    local = spec_with("local", replicas=3)
    assert local.bounds("payment") == (3, 3)


def test_pdb_only_where_two_pods_stay() -> None:
    assert by_kind(children("local"), "PodDisruptionBudget") == {}
    dev = by_kind(children("dev"), "PodDisruptionBudget")
    assert set(dev) == {"conveyor-inventory", "conveyor-payment"}  # order scales from 1
    pdb = dev["conveyor-payment"]["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "payment",
        "app.kubernetes.io/instance": "conveyor",
    }
    assert len(by_kind(children("prod"), "PodDisruptionBudget")) == 8


def _config(objects: list[dict[str, Any]], workload: str) -> dict[str, str]:
    data: dict[str, str] = by_kind(objects, "ConfigMap")[f"conveyor-{workload}"]["data"]
    return data


def _pod(objects: list[dict[str, Any]], workload: str) -> dict[str, Any]:
    spec: dict[str, Any] = by_kind(objects, "Deployment")[f"conveyor-{workload}"]["spec"]
    return spec


@pytest.mark.parametrize("name", NAMES)
def test_pods_meet_the_restricted_pod_security_standard(name: str) -> None:
    objects = children(name)
    for workload in pipeline(name).spec.workloads:
        pod = _pod(objects, workload)["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = pod["containers"]
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert security["runAsUser"] >= 10000
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]  # noqa: S108
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in pod["volumes"]
        assert set(container["resources"]) == {"requests", "limits"}


def test_pods_roll_without_losing_capacity_and_stop_gracefully() -> None:
    deployment = _pod(children("prod"), "payment")
    assert deployment["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
    }
    assert deployment["progressDeadlineSeconds"] == 600
    pod = deployment["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 45
    (container,) = pod["containers"]
    assert "lifecycle" not in container  # the pod drains itself after SIGTERM (ADR 0056)
    assert _config(children("prod"), "payment")["SHUTDOWN_DRAIN_S"] == "10"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_a_zero_delay_stops_at_once_and_the_local_runner_never_drains() -> None:
    spec = spec_with("local", rollout={"shutdownDelaySeconds": 0})
    objects = render_children(owner_of(pipeline("local")), spec, prometheus_operator=False)
    assert _config(objects, "order")["SHUTDOWN_DRAIN_S"] == "0"
    local = workload_env(spec, "order", http_host="127.0.0.1", callee_url=lambda c, p: c)
    assert "SHUTDOWN_DRAIN_S" not in local


def test_every_workload_samples_traces_as_the_spec_says_in_a_pod_and_locally() -> None:
    spec = spec_with("local", tracing={"sampleRatio": 0.1})
    objects = render_children(owner_of(pipeline("local")), spec, prometheus_operator=False)
    for workload in spec.workloads:
        assert _config(objects, workload)["TRACE_SAMPLE_RATIO"] == "0.1", workload
        local = workload_env(spec, workload, http_host="127.0.0.1", callee_url=lambda c, p: c)
        assert local["TRACE_SAMPLE_RATIO"] == "0.1", workload
    assert _config(children("local"), "order")["TRACE_SAMPLE_RATIO"] == "1.0"  # the default
    order = spec.workloads["order"].model_copy(update={"env": {"TRACE_SAMPLE_RATIO": "0.5"}})
    one = spec.model_copy(update={"workloads": {**spec.workloads, "order": order}})
    assert (
        workload_env(one, "order", http_host="h", callee_url=lambda c, p: c)["TRACE_SAMPLE_RATIO"]
        == "0.5"
    )  # a workload's own env wins


@pytest.mark.parametrize("ratio", [-0.1, 1.5])
def test_a_sample_ratio_outside_0_to_1_is_refused(ratio: float) -> None:
    with pytest.raises(ValueError, match=r"sample_ratio|sampleRatio"):
        spec_with("local", tracing={"sampleRatio": ratio})


def test_secrets_arrive_one_key_at_a_time() -> None:
    (container,) = _pod(children("prod"), "inventory")["template"]["spec"]["containers"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert env == {
        "ADMIN_TOKEN": {"name": "conveyor-admin", "key": "token"},
        "DATABASE_URL": {"name": "conveyor-postgres", "key": "inventory"},
        "KAFKA_SASL_PASSWORD": {"name": "conveyor-kafka", "key": "password"},
        "KAFKA_SASL_USERNAME": {"name": "conveyor-kafka", "key": "username"},
    }
    (gateway,) = _pod(children("prod"), "gateway")["template"]["spec"]["containers"]
    assert [e["name"] for e in gateway["env"]] == ["REDIS_URL"]
    assert container["envFrom"] == [{"configMapRef": {"name": "conveyor-inventory"}}]


def test_a_config_change_rolls_the_pods() -> None:
    before = _pod(children("local"), "payment")["template"]["metadata"]["annotations"]
    spec = spec_with("local", resiliency={"policies": {"timeouts": {"general": "9s"}}})
    objects = render_children(owner_of(pipeline("local")), spec, prometheus_operator=False)
    after = _pod(objects, "payment")["template"]["metadata"]["annotations"]
    assert before != after


def test_config_map_holds_settings_flags_and_resolved_resiliency() -> None:
    data = by_kind(children("local"), "ConfigMap")["conveyor-payment"]["data"]
    assert data["SERVICE_NAME"] == "payment"
    assert data["HTTP_PORT"] == "18003"
    assert data["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19092"
    assert "PAYMENT_FAILURE_RATE" not in data  # the fake provider's behaviour now (ADR 0021)
    assert data["CONVEYOR_FLAGS_FILE"] == "/etc/conveyor/flags/flags.json"
    assert "DATABASE_URL" not in data  # a secret: never in a ConfigMap
    resiliency = json.loads(data["CONVEYOR_RESILIENCY"])
    assert resiliency == {
        "targets": {
            "kafka": {
                "retry": {
                    "policy": "standard",
                    "maxRetries": 3,
                    "backoff": "exponential",
                    "initialInterval": "100ms",
                    "maxInterval": "2s",
                    "initialIntervalSeconds": 0.1,
                    "maxIntervalSeconds": 2.0,
                }
            },
            "postgres": {
                "timeout": {"policy": "general", "duration": "5s", "seconds": 5.0},
                "retry": {
                    "policy": "standard",
                    "maxRetries": 3,
                    "backoff": "exponential",
                    "initialInterval": "100ms",
                    "maxInterval": "2s",
                    "initialIntervalSeconds": 0.1,
                    "maxIntervalSeconds": 2.0,
                },
                "circuitBreaker": {
                    "policy": "simple",
                    "maxConsecutiveFailures": 5,
                    "timeout": "30s",
                    "halfOpenRequests": 1,
                    "timeoutSeconds": 30.0,
                },
            },
        }
    }


def test_the_gateway_gets_its_callees_urls_and_policies() -> None:
    data = by_kind(children("prod"), "ConfigMap")["conveyor-gateway"]["data"]
    assert data["ORDER_URL"] == "http://conveyor-order:8080"
    targets = json.loads(data["CONVEYOR_RESILIENCY"])["targets"]
    assert set(targets) == {"identity", "catalog", "order", "redis"}
    assert targets["identity"]["timeout"]["seconds"] == 2.0
    assert "KAFKA_BOOTSTRAP_SERVERS" not in data


def _policy(name: str, workload: str) -> dict[str, Any]:
    spec: dict[str, Any] = by_kind(children(name), "NetworkPolicy")[f"conveyor-{workload}"]["spec"]
    return spec


def _ports(rule: dict[str, Any]) -> set[tuple[int, str]]:
    return {(p["port"], p["protocol"]) for p in rule["ports"]}


@pytest.mark.parametrize("name", NAMES)
def test_network_policies_deny_by_default(name: str) -> None:
    for workload in pipeline(name).spec.workloads:
        policy = _policy(name, workload)
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == workload
        assert all("ports" in rule for rule in policy["ingress"] + policy["egress"])


def test_services_behind_the_gateway_accept_only_the_gateway_and_prometheus() -> None:
    ingress = _policy("prod", "payment")["ingress"]
    assert ingress == [
        {
            "from": [
                {
                    "podSelector": {
                        "matchLabels": {
                            "app.kubernetes.io/name": "gateway",
                            "app.kubernetes.io/instance": "conveyor",
                        }
                    }
                }
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        },
        {
            "from": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    }
                }
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        },
    ]


def test_the_exposed_edge_accepts_anyone_on_its_port_only() -> None:
    ingress = _policy("prod", "gateway")["ingress"]
    assert ingress[0] == {"ports": [{"port": 8080, "protocol": "TCP"}]}
    assert len(ingress) == 2  # the edge, then Prometheus; nobody calls the gateway


def test_egress_is_dns_plus_the_components_each_workload_uses() -> None:
    payment = _policy("prod", "payment")["egress"]
    assert _ports(payment[0]) == {(53, "UDP"), (53, "TCP")}
    # PostgreSQL, MSK SASL, the card provider (https)
    assert _ports(payment[-1]) == {(5432, "TCP"), (9096, "TCP"), (443, "TCP")}
    gateway = _policy("prod", "gateway")["egress"]
    called = {
        r["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for r in gateway[1:-1]
    }
    assert called == set(topology.WORKLOAD_NAMES) - {"gateway"}
    assert _ports(gateway[-1]) == {(6379, "TCP")}  # Redis only: no database, no Kafka


def test_a_cluster_tells_payment_where_the_card_provider_is_and_lets_it_reach_it() -> None:
    data = by_kind(children("prod"), "ConfigMap")["conveyor-payment"]["data"]
    assert data["PAYMENT_PROVIDER_URL"] == "https://api.cards.example"
    assert _ports(_policy("prod", "payment")["egress"][-1]) == {
        (443, "TCP"),  # the provider, https
        (5432, "TCP"),
        (9096, "TCP"),
    }
    raw = example("dev")
    raw["spec"]["workloads"]["payment"]["env"] = {"PAYMENT_PROVIDER_URL": "http://p:8443"}
    resource = pipeline("dev").model_validate(raw)
    objects = render_children(owner_of(resource), resource.spec, prometheus_operator=False)
    egress = by_kind(objects, "NetworkPolicy")["conveyor-payment"]["spec"]["egress"]
    assert (8443, "TCP") in _ports(egress[-1])


@pytest.mark.parametrize("url", ["ftp://p", "https://", "http://p:99999", "not a url"])
def test_a_provider_url_that_is_not_http_opens_no_port(url: str) -> None:
    assert provider_port(url) is None


def test_without_a_provider_url_payment_reaches_no_third_party() -> None:
    egress = _policy("local", "payment")["egress"]
    assert _ports(egress[-1]) == {(5432, "TCP"), (19092, "TCP")}


def test_service_and_monitor_select_the_workloads_pods() -> None:
    objects = children("prod")
    service = by_kind(objects, "Service")["conveyor-order"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == {
        "app.kubernetes.io/name": "order",
        "app.kubernetes.io/instance": "conveyor",
    }
    monitor = by_kind(objects, "ServiceMonitor")["conveyor-order"]["spec"]
    assert monitor["selector"]["matchLabels"] == service["spec"]["selector"]
    assert monitor["endpoints"] == [
        {
            "port": "http",
            "path": "/metrics",
            "interval": "30s",
            "relabelings": [{"targetLabel": "workload", "replacement": "order"}],
        }
    ]
    assert monitor["namespaceSelector"] == {"matchNames": ["conveyor"]}


def test_paused_pipelines_render_the_same_children() -> None:
    owner = owner_of(pipeline("dev"))
    paused = spec_with("dev", paused=True)
    running = pipeline("dev").spec
    assert render_children(owner, paused, prometheus_operator=True) == render_children(
        owner, running, prometheus_operator=True
    )


def test_the_flags_are_one_config_map_every_pod_mounts_read_only() -> None:
    objects = children("local")
    flags = json.loads(by_kind(objects, "ConfigMap")["conveyor-flags"]["data"]["flags.json"])
    assert flags["flags"]["fault.inventory.error-rate"]["variants"] == {"none": 0.0}
    assert "fractional" in flags["flags"]["rollout.notification.confirmation-v2"]["targeting"]
    for workload in ("order", "inventory", "payment", "notification", "catalog"):
        pod = _pod(objects, workload)["template"]["spec"]
        assert {"name": "flags", "configMap": {"name": "conveyor-flags"}} in pod["volumes"]
        mounts = pod["containers"][0]["volumeMounts"]
        assert {"name": "flags", "mountPath": "/etc/conveyor/flags", "readOnly": True} in mounts


def test_a_flag_change_rolls_no_pod() -> None:
    resource = pipeline("local")
    raw = example("local")
    raw["spec"]["flags"]["fault.inventory.error-rate"]["variants"] = {"none": 0.5}
    changed = type(resource).model_validate(raw)
    owner = owner_of(resource)
    before = render_children(owner, resource.spec, prometheus_operator=False)
    after = render_children(owner, changed.spec, prometheus_operator=False)
    differs = {
        (a["kind"], a["metadata"]["name"])
        for a, b in zip(before, after, strict=True)
        if a["metadata"]["annotations"] != b["metadata"]["annotations"]
    }
    assert differs == {("ConfigMap", "conveyor-flags")}


@pytest.mark.parametrize("name", NAMES)
def test_scale_units_change_replicas_only_never_the_pod_template(name: str) -> None:
    # A changed template is a rollout: scaling through the scale subresource (an HPA on the
    # pipeline) must add pods, not replace every running one (seen on the real node, ADR 0048).
    owner = owner_of(pipeline(name))
    templates = [
        {
            n: d["spec"]["template"]
            for n, d in by_kind(
                render_children(owner, spec_with(name, replicas=units), prometheus_operator=False),
                "Deployment",
            ).items()
        }
        for units in (1, 2)
    ]
    assert templates[0] == templates[1]
