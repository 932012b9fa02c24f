"""Every committed Grafana dashboard reaches the cluster's Grafana: one ConfigMap each, in
Grafana's namespace, with the label its dashboard sidecar watches, holding the file unchanged."""

from __future__ import annotations

import json

from operators.dashboards import files
from policies.synth_graph import Graph, Resource

MONITORING = "monitoring"


def _dashboard_config_maps(graph: Graph) -> dict[str, Resource]:
    found = {}
    for config_map in graph.of_type("kubernetes:core/v1:ConfigMap"):
        metadata = config_map.inputs["metadata"]
        if metadata.get("labels", {}).get("grafana_dashboard") == "1":
            (file_name,) = config_map.inputs["data"]
            found[file_name] = config_map
    return found


def _sidecar(graph: Graph) -> dict[str, object]:
    release = next(
        r
        for r in graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "kube-prometheus-stack"
    )
    sidecar: dict[str, object] = release.inputs["values"]["grafana"]["sidecar"]["dashboards"]
    return sidecar


def test_each_committed_dashboard_is_provisioned_unchanged(graph: Graph) -> None:
    provisioned = _dashboard_config_maps(graph)
    assert sorted(provisioned) == sorted(files.DASHBOARDS)
    for name, config_map in provisioned.items():
        committed = (files.DASHBOARDS_DIR / name).read_text(encoding="utf-8")
        assert config_map.inputs["data"][name] == committed
        assert json.loads(committed)["uid"]
        assert config_map.inputs["metadata"]["namespace"] == MONITORING


def test_grafanas_sidecar_watches_the_label_the_dashboards_carry(graph: Graph) -> None:
    sidecar = _sidecar(graph)
    assert sidecar["enabled"] is True
    assert sidecar["label"] == "grafana_dashboard"
    folder = str(sidecar.get("folderAnnotation"))
    provisioned = _dashboard_config_maps(graph)
    assert provisioned
    for config_map in provisioned.values():
        assert config_map.inputs["metadata"].get("annotations", {}).get(folder) == "Conveyor"
