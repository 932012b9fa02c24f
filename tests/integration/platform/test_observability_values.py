"""The values the Pulumi add-ons give the collector, Prometheus and Grafana are valid, offline.

Taken from the synthesized graph of every stack, as `pulumi up` would hand them to Helm: the
collector release's `alternateConfig` with its `extraEnvs` passes the built collector's `validate`
(operators/local/collector_build.py builds it once into ~/.cache/conveyor/otelcol/); the alert
rules in kube-prometheus-stack's `additionalPrometheusRulesMap` pass `promtool check rules`; every
dashboard ConfigMap validates against Grafana's dashboard schema (operators/dashboards/schema.py).
A broken copy of each is refused, naming the culprit, so the checks are seen to bite.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema.protocols import Validator

from policies.synth_graph import Graph
from tests.integration.platform.helm_values import values
from tests.integration.platform.observability_tools import POD_IP, check_rules, validate_config


def validate_release(collector: Path, release: dict[str, Any], tmp_path: Path) -> str:
    """The collector's verdict on a release's values: "" when valid, else what it said."""
    env = {e["name"]: e["value"].replace("$(MY_POD_IP)", POD_IP) for e in release["extraEnvs"]}
    return validate_config(collector, yaml.safe_dump(release["alternateConfig"]), env, tmp_path)


def _dashboards(graph: Graph) -> dict[str, dict[str, Any]]:
    found = {}
    for config_map in graph.of_type("kubernetes:core/v1:ConfigMap"):
        if config_map.inputs["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            for name, body in config_map.inputs["data"].items():
                found[name] = json.loads(body)
    return found


def test_the_collector_release_runs_a_configuration_the_collector_accepts(
    graph: Graph, collector: Path, tmp_path: Path
) -> None:
    assert validate_release(collector, values(graph, "opentelemetry-collector"), tmp_path) == ""


def test_a_collector_release_with_a_misspelt_exporter_is_refused(
    graphs: dict[str, Graph], collector: Path, tmp_path: Path
) -> None:
    broken = copy.deepcopy(values(graphs["dev"], "opentelemetry-collector"))
    broken["alternateConfig"]["service"]["pipelines"]["traces"]["exporters"] = ["zipkn"]
    assert "zipkn" in validate_release(collector, broken, tmp_path)


def test_the_alert_rules_prometheus_is_given_pass_promtool(
    graph: Graph, promtool: str, tmp_path: Path
) -> None:
    rules = values(graph, "kube-prometheus-stack")["additionalPrometheusRulesMap"]
    assert rules
    assert check_rules(promtool, rules, tmp_path) == ""


def test_a_broken_alert_rule_in_the_values_is_refused(
    graphs: dict[str, Graph], promtool: str, tmp_path: Path
) -> None:
    rules = copy.deepcopy(values(graphs["dev"], "kube-prometheus-stack"))
    first = next(iter(rules["additionalPrometheusRulesMap"].values()))
    first["groups"][0]["rules"][0]["expr"] = "max(conveyor_saga_needs_attention > 0"
    assert "parse error" in check_rules(promtool, rules["additionalPrometheusRulesMap"], tmp_path)


def test_every_dashboard_grafana_is_given_validates_against_its_schema(
    graph: Graph, validator: Validator
) -> None:
    dashboards = _dashboards(graph)
    assert dashboards
    for name, dashboard in dashboards.items():
        errors = [e.message for e in validator.iter_errors(dashboard)]
        assert errors == [], name


def test_a_dashboard_with_an_unknown_key_is_refused(
    graphs: dict[str, Graph], validator: Validator
) -> None:
    dashboard = next(iter(_dashboards(graphs["dev"]).values()))
    dashboard["refreshEvery"] = "1m"
    assert any("refreshEvery" in e.message for e in validator.iter_errors(dashboard))
