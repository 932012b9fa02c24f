"""The CRD, the pydantic model and the examples say the same thing, and cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from operators.pipeline import topology
from operators.pipeline.spec import RESERVED_ENV, SECRETS_REQUIRED, OrderPipeline, load
from tests.unit.operators.pipeline.cases import INVALID_CASES, SERVER_CASES, InvalidCase
from tests.unit.operators.pipeline.crd_schema import (
    CRD_PATH,
    EXAMPLES,
    apply_defaults,
    as_json_schema,
    crd,
    example,
    openapi_schema,
)
from workloads.catalogue import BY_NAME, WORKLOADS

NAMES = ("local", "dev", "prod", "node")


def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(as_json_schema(openapi_schema()))


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_for_the_crd_schema(name: str) -> None:
    errors = [e.message for e in _validator().iter_errors(example(name))]
    assert errors == []


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_for_the_model(name: str) -> None:
    pipeline = load(EXAMPLES / f"{name}.yaml")
    assert pipeline.metadata.name == "conveyor"


@pytest.mark.parametrize("name", NAMES)
def test_crd_defaults_equal_model_defaults(name: str) -> None:
    raw = example(name)
    defaulted = apply_defaults(raw, openapi_schema())
    assert _pruned(defaulted["spec"]) == _pruned(OrderPipeline.model_validate(raw).spec.wire())


@pytest.mark.parametrize("name", NAMES)
def test_defaulted_example_is_still_valid_for_the_crd(name: str) -> None:
    wire = OrderPipeline.model_validate(example(name)).spec.wire()
    resource = {**example(name), "spec": wire}
    assert [e.message for e in _validator().iter_errors(resource)] == []


@pytest.mark.parametrize("case", INVALID_CASES, ids=lambda c: c.id)
def test_cross_field_rule_refuses_what_the_schema_alone_accepts(case: InvalidCase) -> None:
    broken = case.apply(example("local"))
    assert [e.message for e in _validator().iter_errors(broken)] == []  # only CEL can refuse it
    with pytest.raises(ValidationError) as refused:
        OrderPipeline.model_validate(broken)
    assert case.message in str(refused.value)


@pytest.mark.parametrize("case", SERVER_CASES, ids=lambda c: c.id)
def test_every_invalid_case_has_a_cel_rule_with_its_message(case: InvalidCase) -> None:
    messages = " ".join(" ".join(r["message"].split()) for r in _cel_rules(openapi_schema()))
    fragment = case.message if case.id != "unknown-workload" else "catalogue workloads"
    assert fragment in messages


def test_the_local_example_is_the_runnable_catalogue_on_its_ports() -> None:
    spec = load(EXAMPLES / "local.yaml").spec
    assert set(spec.workloads) == topology.RUNNABLE
    for name, workload in spec.workloads.items():
        assert workload.port == BY_NAME[name].http_port
        assert workload.replicas == 1


def test_the_prod_example_keeps_two_replicas_of_everything_for_disruptions() -> None:
    spec = load(EXAMPLES / "prod.yaml").spec
    assert set(spec.workloads) == set(topology.WORKLOAD_NAMES)
    assert all(spec.bounds(name)[0] >= 2 for name in spec.workloads)
    assert spec.rollout.max_unavailable == 0


def test_load_refuses_a_file_with_two_documents(tmp_path: Path) -> None:
    text = (EXAMPLES / "local.yaml").read_text("utf-8")
    path = tmp_path / "two.yaml"
    path.write_text(text + "\n---\n" + text, "utf-8")
    with pytest.raises(ValueError, match="expected one OrderPipeline document, found 2"):
        load(path)


def test_the_model_refuses_strings_where_the_server_wants_numbers() -> None:
    broken = example("local")
    broken["spec"]["workloads"]["order"]["replicas"] = "1"
    with pytest.raises(ValidationError, match="replicas"):
        OrderPipeline.model_validate(broken)


def test_the_model_refuses_unknown_spec_fields() -> None:
    broken = example("local")
    broken["spec"]["workloads"]["order"]["replica"] = 2
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        OrderPipeline.model_validate(broken)


def _cel_literal(names: Any) -> str:
    return "[" + ", ".join(f"'{n}'" for n in sorted(names)) + "]"


@pytest.mark.parametrize(
    "names",
    [
        topology.WORKLOAD_NAMES,
        topology.KAFKA_CONSUMERS,
        topology.DATABASE_OWNERS,
        topology.KAFKA_CLIENTS,
        topology.REDIS_CLIENTS,
        topology.COMPONENTS,
    ],
    ids=["catalogue", "consumers", "database-owners", "kafka-clients", "redis-clients", "parts"],
)
def test_crd_rules_name_the_same_workloads_as_the_topology(names: Any) -> None:
    rules = " ".join(" ".join(r["rule"].split()) for r in _cel_rules(openapi_schema()))
    assert _cel_literal(names) in rules


def test_crd_reserved_env_list_is_the_models() -> None:
    rules = " ".join(" ".join(r["rule"].split()) for r in _cel_rules(openapi_schema()))
    literal = "[" + ", ".join(f"'{n}'" for n in RESERVED_ENV) + "]"
    assert rules.count(literal) == 2  # env, secretEnv


def test_crd_schema_is_structural() -> None:
    """What the API server demands before it serves a CRD (so a typo fails here, not there)."""
    problems = list(_structural_problems(openapi_schema(), "openAPIV3Schema"))
    assert problems == []


def test_crd_names_match_the_model() -> None:
    document = crd()
    assert document["metadata"]["name"] == "orderpipelines.conveyor.dev"
    assert document["spec"]["group"] + "/" + document["spec"]["versions"][0]["name"] == (
        "conveyor.dev/v1alpha1"
    )
    assert document["spec"]["names"]["kind"] == "OrderPipeline"
    scale = document["spec"]["versions"][0]["subresources"]["scale"]
    assert scale == {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }
    assert CRD_PATH.name == "orderpipelines.conveyor.dev.yaml"


def _pruned(value: Any) -> Any:
    """Empty maps are absent in a manifest and {} in the model; the two mean the same."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v != {}}
    return value


def test_the_crds_secrets_rule_is_the_catalogues_secrets() -> None:
    """The CEL rule lists each workload's catalogue `secrets` (ADR 0039), no more, no less."""
    required = sorted((w for w in WORKLOADS if w.secrets), key=lambda w: w.name)
    expected = " && ".join(
        f"(!('{w.name}' in self) || (has(self['{w.name}'].secretEnv) && "
        + " && ".join(f"'{s}' in self['{w.name}'].secretEnv" for s in w.secrets)
        + "))"
        for w in required
    )
    listed = "; ".join(f"{w.name} {', '.join(w.secrets)}" for w in required)
    (rule,) = [r for r in _cel_rules(openapi_schema()) if SECRETS_REQUIRED in r["message"]]
    assert " ".join(rule["rule"].split()) == expected
    assert " ".join(rule["message"].split()).endswith(f"without: {listed}")


def _cel_rules(node: Any) -> Iterator[dict[str, str]]:
    if isinstance(node, list):
        for item in node:
            yield from _cel_rules(item)
    elif isinstance(node, dict):
        yield from node.get("x-kubernetes-validations", [])
        for key, value in node.items():
            if key != "x-kubernetes-validations":
                yield from _cel_rules(value)


def _structural_problems(node: dict[str, Any], path: str) -> Iterator[str]:
    yield from _node_problems(node, path)
    for name, sub in node.get("properties", {}).items():
        yield from _structural_problems(sub, f"{path}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _structural_problems(node["additionalProperties"], f"{path}[*]")
    if isinstance(node.get("items"), dict):
        yield from _structural_problems(node["items"], f"{path}[]")


def _node_problems(node: dict[str, Any], path: str) -> Iterator[str]:
    typed = "type" in node or node.get("x-kubernetes-int-or-string")
    if not typed and not node.get("x-kubernetes-preserve-unknown-fields"):
        yield f"{path}: no type"
    for junctor in ("anyOf", "allOf", "oneOf", "not"):
        if junctor in node:
            yield f"{path}: {junctor} (only plain forms are structural; use CEL)"
    rules = node.get("x-kubernetes-validations", [])
    if any("message" not in rule for rule in rules):
        yield f"{path}: CEL rule without a message"
    if rules and isinstance(node.get("default"), dict):
        # The server checks a default against the node's CEL rules without nested defaults.
        defaulted = {k for k, sub in node.get("properties", {}).items() if "default" in sub}
        if not defaulted <= set(node["default"]):
            yield f"{path}: default lacks {sorted(defaulted - set(node['default']))}"
    is_map = node.get("type") == "object" and "additionalProperties" in node
    if is_map and "properties" in node:
        yield f"{path}: properties and additionalProperties together"
    if is_map and "maxProperties" not in node:
        yield f"{path}: a map without maxProperties makes CEL cost unbounded"
