"""The cluster's OpenTelemetry Collector runs the committed configuration file, unchanged, on the
release it is validated against, with every variable the file reads set in its environment."""

from __future__ import annotations

import re

import yaml

from operators.local.collector_build import CONFIG, MANIFEST, release
from policies.synth_graph import Graph, Resource


def _collector(graph: Graph) -> Resource:
    return next(
        r
        for r in graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "opentelemetry-collector"
    )


def test_the_cluster_collector_runs_the_shared_configuration(graph: Graph) -> None:
    values = _collector(graph).inputs["values"]
    shared = yaml.safe_load(CONFIG.read_text())
    run = values["alternateConfig"]
    assert {k: v for k, v in run.items() if k != "extensions"} == {
        **shared,
        "service": {**shared["service"], "extensions": ["health_check"]},
    }
    assert "config" not in values  # merged with the chart's defaults, our build refuses it
    assert values["image"]["tag"] == release(MANIFEST.read_text())
    env = {e["name"]: e["value"] for e in values["extraEnvs"]}
    assert set(re.findall(r"\$\{env:([A-Z0-9_]+)\}", CONFIG.read_text())) <= env.keys()
