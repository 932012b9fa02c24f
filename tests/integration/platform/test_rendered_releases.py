"""What Helm renders for the observability releases, with the charts' defaults, is valid (ADR 0049).

Each stack's values (from its synthesized graph, as `pulumi up` hands them to Helm) are rendered
by `helm template` with the vendored charts at the pinned versions (platform/charts/), and the
rendered objects are judged: the collector's ConfigMap by the built collector's `validate`, in
the environment its Deployment gives the container; every PrometheusRule by promtool; the
datasources Grafana is provisioned with against what the dashboards ask. A broken twin of each
is refused, naming the culprit.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from operators.dashboards import files
from operators.pipeline.render import render_children
from policies.synth_graph import Graph
from tests.integration.platform.helm_values import values
from tests.integration.platform.observability_tools import (
    POD_IP,
    asked_datasources,
    check_rules,
    validate_config,
)
from tests.integration.platform.rendered import (
    VendoredChartError,
    crd_schema,
    kube_version,
    of_kind,
    pruning,
    render,
    vendored,
    verified,
)
from tests.unit.operators.pipeline.rendering import owner_of, pipeline

MONITORING = "monitoring"
RENDERED = ("kube-prometheus-stack", "opentelemetry-collector")


def _render(helm: Path, graph: Graph, chart: str, tmp_path: Path, **changed: Any) -> list[Any]:
    given = copy.deepcopy(values(graph, chart))
    given.update(changed)
    return render(
        helm, chart, given, namespace=MONITORING, kube=kube_version(graph), workdir=tmp_path
    )


def _collector_verdict(objects: list[dict[str, Any]], collector: Path, tmp_path: Path) -> str:
    """The collector's verdict on the rendered configuration, in the rendered container's env."""
    (config_map,) = [c for c in of_kind(objects, "ConfigMap") if "relay" in c.get("data", {})]
    (deployment,) = of_kind(objects, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for variable in container.get("env", []):
        if variable.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "status.podIP":
            env[variable["name"]] = POD_IP
        else:  # `$(NAME)` is expanded from the variables before it, as the kubelet does
            value = variable["value"]
            env[variable["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], value)
    return validate_config(collector, config_map["data"]["relay"], env, tmp_path)


def test_the_vendored_charts_are_the_versions_every_stack_pins(graph: Graph) -> None:
    pinned = {
        r.inputs["chart"]: r.inputs["version"]
        for r in graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] in RENDERED
    }
    carried = {c.chart: c.version for c in vendored() if c.parent is None}
    assert pinned == carried


def test_a_vendored_chart_that_differs_from_its_digest_is_refused(tmp_path: Path) -> None:
    chart = next(c for c in vendored() if c.chart == "opentelemetry-collector")
    shutil.copy(verified(chart), tmp_path / chart.archive().name)
    shutil.copy(chart.archive().parent / "charts.yaml", tmp_path)
    with (tmp_path / chart.archive().name).open("ab") as archive:
        archive.write(b"\0")
    with pytest.raises(VendoredChartError, match=chart.archive().name):
        verified(chart, tmp_path)


def test_the_rendered_collector_configuration_validates_with_the_built_collector(
    graph: Graph, helm: Path, collector: Path, tmp_path: Path
) -> None:
    objects = _render(helm, graph, "opentelemetry-collector", tmp_path)
    assert _collector_verdict(objects, collector, tmp_path) == ""


def test_a_preset_adding_a_component_the_build_lacks_is_refused(
    graphs: dict[str, Graph], helm: Path, collector: Path, tmp_path: Path
) -> None:
    presets = {**values(graphs["dev"], "opentelemetry-collector")["presets"]}
    presets["hostMetrics"] = {"enabled": True}  # adds the hostmetrics receiver
    objects = _render(helm, graphs["dev"], "opentelemetry-collector", tmp_path, presets=presets)
    assert "hostmetrics" in _collector_verdict(objects, collector, tmp_path)


def _rules(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["metadata"]["name"]: r["spec"] for r in of_kind(objects, "PrometheusRule")}


def test_every_rendered_prometheus_rule_passes_promtool(
    graph: Graph, helm: Path, promtool: str, tmp_path: Path
) -> None:
    rules = _rules(_render(helm, graph, "kube-prometheus-stack", tmp_path))
    ours = values(graph, "kube-prometheus-stack")["additionalPrometheusRulesMap"]
    assert {f"kube-prometheus-stack-{name}" for name in ours} <= rules.keys()
    assert check_rules(promtool, rules, tmp_path) == ""


def test_a_broken_rule_survives_rendering_and_is_refused(
    graphs: dict[str, Graph], helm: Path, promtool: str, tmp_path: Path
) -> None:
    broken = copy.deepcopy(values(graphs["dev"], "kube-prometheus-stack"))
    first = next(iter(broken["additionalPrometheusRulesMap"].values()))
    first["groups"][0]["rules"][0]["expr"] = "max(conveyor_saga_needs_attention > 0"
    rules = _rules(
        _render(
            helm,
            graphs["dev"],
            "kube-prometheus-stack",
            tmp_path,
            additionalPrometheusRulesMap=broken["additionalPrometheusRulesMap"],
        )
    )
    assert "parse error" in check_rules(promtool, rules, tmp_path)


def _datasources(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Grafana's datasource sidecar provisions: every datasource of the labelled ConfigMaps."""
    found = []
    for config_map in of_kind(objects, "ConfigMap"):
        if config_map["metadata"].get("labels", {}).get("grafana_datasource") == "1":
            for body in config_map["data"].values():
                found += yaml.safe_load(body).get("datasources", [])
    return found


def _unprovisioned(objects: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Per dashboard, the (type, uid) it asks for that no rendered datasource answers."""
    given = [(str(d["type"]), str(d.get("uid"))) for d in _datasources(objects)]
    missing = {}
    for name in sorted(files.DASHBOARDS):
        dashboard = json.loads((files.DASHBOARDS_DIR / name).read_text(encoding="utf-8"))
        missing[name] = [
            (kind, uid)
            for kind, uid in sorted(asked_datasources(dashboard))
            if not any(t == kind and uid in ("*", u) for t, u in given)
        ]
    return missing


def test_every_datasource_a_dashboard_asks_for_is_rendered_for_grafana(
    graph: Graph, helm: Path, tmp_path: Path
) -> None:
    missing = _unprovisioned(_render(helm, graph, "kube-prometheus-stack", tmp_path))
    assert missing
    assert all(found == [] for found in missing.values()), missing


def test_a_dashboard_datasource_grafana_is_not_rendered_is_caught(
    graphs: dict[str, Graph], helm: Path, tmp_path: Path
) -> None:
    grafana = copy.deepcopy(values(graphs["dev"], "kube-prometheus-stack")["grafana"])
    grafana["sidecar"]["datasources"]["defaultDatasourceEnabled"] = False  # no Prometheus
    objects = _render(helm, graphs["dev"], "kube-prometheus-stack", tmp_path, grafana=grafana)
    assert all(found == [("prometheus", "*")] for found in _unprovisioned(objects).values())


SERVICE_MONITOR_CRD = "kube-prometheus-stack/charts/crds/crds/crd-servicemonitors.yaml"


def _monitor_errors(mutate: Any = None) -> list[str]:
    """What the Prometheus Operator's ServiceMonitor CRD (as the chart installs it) says of the
    operator's ServiceMonitors, every field the API server would prune counted as an error."""
    validator = Draft7Validator(pruning(crd_schema("kube-prometheus-stack", SERVICE_MONITOR_CRD)))
    resource = pipeline("prod")
    children = render_children(owner_of(resource), resource.spec, prometheus_operator=True)
    monitors = [c for c in children if c["kind"] == "ServiceMonitor"]
    assert monitors
    if mutate is not None:
        mutate(monitors[0])
    return [e.message for m in monitors for e in validator.iter_errors(m)]


def test_the_operators_service_monitors_keep_every_field_under_the_real_crd() -> None:
    assert _monitor_errors() == []


def test_a_misspelt_service_monitor_field_the_server_would_drop_is_caught() -> None:
    def misspell(monitor: dict[str, Any]) -> None:
        endpoint = monitor["spec"]["endpoints"][0]
        endpoint["relabellings"] = endpoint.pop("relabelings")

    assert any("relabellings" in e for e in _monitor_errors(misspell))
