"""What the cluster's observability add-ons name exists in the same stack.

The collector exports to a Service that runs a trace store; every Grafana datasource points at a
Service of the stack and every dashboard asks only for datasources Grafana is given; Prometheus
loads every alert file of observability/alerts/ and selects every PrometheusRule (the operator's
SLO rules carry no chart label). Read from the synthesized graph, so what is checked is what
`pulumi up` would install.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import yaml
from conveyor_platform import trace_store

from operators.dashboards import files
from operators.local.servers import zipkin
from operators.paths import REPO_ROOT
from policies.synth_graph import Graph, Resource
from tests.integration.platform.helm_values import values
from tests.integration.platform.observability_tools import asked_datasources

ALERTS = REPO_ROOT / "observability" / "alerts"
DATASOURCE_VARIABLE = "${datasource}"


def _serving(graph: Graph, url: str) -> list[str]:
    """What is missing for `url` (http://<service>.<namespace>:<port>/...) to reach a pod."""
    parts = urlsplit(url)
    name, _, namespace = (parts.hostname or "").partition(".")
    service = next(
        (
            s
            for s in graph.of_type("kubernetes:core/v1:Service")
            if s.inputs["metadata"].get("name") == name
            and s.inputs["metadata"].get("namespace") == namespace
        ),
        None,
    )
    if service is None:
        return [f"{url}: no Service {name} in namespace {namespace!r}"]
    ports = {p["port"] for p in service.inputs["spec"]["ports"]}
    if parts.port not in ports:
        return [f"{url}: Service {namespace}/{name} has ports {sorted(ports)}"]
    selector = service.inputs["spec"]["selector"].items()
    if not any(selector <= _pod_labels(d).items() for d in _deployments(graph, namespace)):
        return [f"{url}: no Deployment in {namespace} has the pods Service {name} selects"]
    return []


def _deployments(graph: Graph, namespace: str) -> list[Resource]:
    return [
        d
        for d in graph.of_type("kubernetes:apps/v1:Deployment")
        if d.inputs["metadata"].get("namespace") == namespace
    ]


def _pod_labels(deployment: Resource) -> dict[str, str]:
    labels: dict[str, str] = deployment.inputs["spec"]["template"]["metadata"]["labels"]
    return labels


def _provisioned(grafana: dict[str, Any]) -> list[dict[str, str]]:
    """Grafana's datasources as {type, uid}: the chart's Prometheus (when its datasource sidecar
    makes it) and the additional ones."""
    sidecar = grafana.get("sidecar", {}).get("datasources", {})
    found = []
    if sidecar.get("enabled") and sidecar.get("defaultDatasourceEnabled"):
        found.append({"type": "prometheus", "uid": sidecar.get("uid", "")})
    found += [
        {"type": d["type"], "uid": d["uid"]} for d in grafana.get("additionalDataSources", [])
    ]
    return found


def test_the_collector_exports_to_a_trace_store_the_stack_runs(graph: Graph) -> None:
    env = {e["name"]: e["value"] for e in values(graph, "opentelemetry-collector")["extraEnvs"]}
    endpoint = env["CONVEYOR_ZIPKIN_ENDPOINT"]
    assert _serving(graph, endpoint) == []


def test_every_grafana_datasource_points_at_a_service_the_stack_runs(graph: Graph) -> None:
    grafana = values(graph, "kube-prometheus-stack")["grafana"]
    additional = grafana.get("additionalDataSources", [])
    assert {d["type"] for d in additional} >= {"zipkin"}
    assert [problem for d in additional for problem in _serving(graph, d["url"])] == []


def test_every_dashboard_reads_a_datasource_grafana_is_given(graph: Graph) -> None:
    provisioned = _provisioned(values(graph, "kube-prometheus-stack")["grafana"])
    assert provisioned, "Grafana is given no datasource"
    for name in sorted(files.DASHBOARDS):
        dashboard = json.loads((files.DASHBOARDS_DIR / name).read_text(encoding="utf-8"))
        asked = asked_datasources(dashboard)
        assert asked, f"{name}: no panel names a datasource"
        missing = [
            (kind, uid)
            for kind, uid in sorted(asked)
            if not any(p["type"] == kind and uid in ("*", p["uid"]) for p in provisioned)
        ]
        assert missing == [], f"{name} asks for datasources Grafana is not given"


def test_prometheus_loads_every_alert_file_and_every_prometheus_rule(graph: Graph) -> None:
    stack = values(graph, "kube-prometheus-stack")
    loaded = stack.get("additionalPrometheusRulesMap", {})
    committed = {p.stem: yaml.safe_load(p.read_text()) for p in sorted(ALERTS.glob("*.yaml"))}
    assert committed
    assert loaded == committed
    spec = stack["prometheus"]["prometheusSpec"]
    # Without this the chart's Prometheus selects only rules labelled with its release name.
    assert spec.get("ruleSelectorNilUsesHelmValues") is False
    assert "ruleSelector" not in spec
    assert "ruleNamespaceSelector" not in spec


def test_the_cluster_trace_store_is_the_local_stacks_release() -> None:
    assert trace_store.VERSION == zipkin.VERSION
    assert trace_store.MAX_SPANS == zipkin.MAX_SPANS
    assert trace_store.HEAP == zipkin.HEAP
    assert trace_store.IMAGE.endswith(f":{zipkin.VERSION}")
