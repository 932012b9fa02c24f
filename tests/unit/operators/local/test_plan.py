"""The local runner reads the OrderPipeline spec: what runs, how many, with the ConfigMap's env."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from operators.local.plan import (
    Connections,
    LocalPlan,
    PipelineError,
    environment,
    plan,
    read,
)
from operators.local.settings import LocalStackSettings
from operators.local.workloads import Desired, Workloads
from operators.paths import REPO_ROOT
from operators.pipeline import pods
from operators.pipeline.objects import Owner
from operators.pipeline.spec import OrderPipeline
from workloads import catalogue

LOCAL = REPO_ROOT / "operators" / "examples" / "local.yaml"
STACK = Connections(
    host="127.0.0.1",
    kafka_bootstrap_servers="127.0.0.1:29092",
    database_urls={
        name: f"postgresql://{name}@127.0.0.1/conveyor_{name}"
        for name in ("order", "inventory", "payment", "notification")
    },
    redis_url="redis://127.0.0.1:16379/0",
    admin_token="local-admin-token",
)
OWNER = Owner("conveyor.dev/v1alpha1", "OrderPipeline", "conveyor", "conveyor-local", "uid-1")


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(LOCAL.read_text())
    return loaded


def _pipeline(change: dict[str, Any] | None = None) -> OrderPipeline:
    document = _document()
    document["spec"] = {**document["spec"], **(change or {})}
    return OrderPipeline.model_validate(document)


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_local_example_runs_the_six_runnable_workloads_once_on_their_ports() -> None:
    planned = plan(read(LOCAL), source="local.yaml")
    assert {(w.name, w.module, w.port, w.replicas) for w in planned.workloads} == {
        ("gateway", "workloads.gateway", 18000, 1),
        ("order", "workloads.order", 18001, 1),
        ("inventory", "workloads.inventory", 18002, 1),
        ("payment", "workloads.payment", 18003, 1),
        ("notification", "workloads.notification", 18004, 1),
        ("catalog", "workloads.catalog", 18005, 1),
        ("shipping", "workloads.shipping", 18007, 1),
        ("identity", "workloads.identity", 18006, 1),
    }
    assert planned.skipped == ()
    assert not planned.paused


def test_replicas_are_the_fixed_count_or_the_autoscaling_minimum_times_scale_units() -> None:
    workloads = _document()["spec"]["workloads"]
    inventory = {**workloads["inventory"], "autoscaling": {"minReplicas": 2, "maxReplicas": 5}}
    del inventory["replicas"]
    pipeline = _pipeline(
        {"replicas": 2, "workloads": {**workloads, "inventory": inventory}},
    )
    planned = plan(pipeline, source="x")
    assert planned.get("inventory") is not None
    assert planned.get("inventory").replicas == 4  # type: ignore[union-attr]
    assert planned.get("order").replicas == 2  # type: ignore[union-attr]
    assert planned.get("order").port_of(1) == 18101  # type: ignore[union-attr]


def test_a_catalogue_only_workload_is_skipped_and_reported_not_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every catalogue entry is built today: make one catalogue-only again, as a new one starts
    unbuilt = dataclasses.replace(catalogue.BY_NAME["identity"], module=None)
    monkeypatch.setitem(catalogue.BY_NAME, "identity", unbuilt)
    planned = plan(_pipeline(), source="x")
    assert planned.skipped == ("identity",)
    assert planned.get("identity") is None


def test_a_paused_pipeline_is_planned_as_paused() -> None:
    assert plan(_pipeline({"paused": True}), source="x").paused


def test_an_invalid_file_is_refused_with_the_field_named(tmp_path: Path) -> None:
    document = _document()
    document["spec"]["workloads"]["order"]["replicas"] = "3"
    with pytest.raises(PipelineError, match=r"spec\.workloads\.order\.replicas"):
        read(_write(tmp_path, document))


def test_a_cross_field_rule_is_refused_as_the_cluster_refuses_it(tmp_path: Path) -> None:
    document = _document()
    document["spec"]["workloads"]["order"]["autoscaling"] = {"minReplicas": 1, "maxReplicas": 2}
    with pytest.raises(PipelineError, match="exactly one of replicas or autoscaling"):
        read(_write(tmp_path, document))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no such pipeline file"):
        read(tmp_path / "absent.yaml")


def test_more_replicas_than_the_local_ports_allow_are_refused() -> None:
    workloads = _document()["spec"]["workloads"]
    order = {**workloads["order"], "replicas": 11}
    with pytest.raises(PipelineError, match=r"spec\.workloads\.order\.replicas"):
        plan(_pipeline({"workloads": {**workloads, "order": order}}), source="x")


def test_overlapping_replica_ports_are_refused() -> None:
    workloads = _document()["spec"]["workloads"]
    payment = {**workloads["payment"], "port": 18101}  # order's replica 1
    with pytest.raises(PipelineError, match=r"spec\.workloads\.payment\.port"):
        plan(_pipeline({"workloads": {**workloads, "payment": payment}}), source="x")


def test_kafka_authentication_is_refused_locally() -> None:
    kafka = {**_document()["spec"]["kafka"], "authSecretRef": {"name": "kafka-auth"}}
    with pytest.raises(PipelineError, match=r"spec\.kafka\.authSecretRef"):
        plan(_pipeline({"kafka": kafka}), source="x")


@pytest.mark.parametrize("workload", ["order", "inventory", "payment", "notification"])
def test_the_environment_is_the_config_map_on_loopback_plus_the_stacks_secrets(
    workload: str,
) -> None:
    spec = read(LOCAL).spec
    env = environment(spec, workload, STACK)
    # a pod drains after SIGTERM, a local process stops at once (ADR 0056)
    config = {
        k: v for k, v in pods.config_data(OWNER, spec, workload).items() if k != pods.DRAIN_ENV
    }
    assert pods.DRAIN_ENV not in env
    secrets = set(pods.secret_refs(spec, workload))
    assert set(env) == set(config) | secrets
    addressing = {"HTTP_HOST", "KAFKA_BOOTSTRAP_SERVERS"}
    assert {k: v for k, v in env.items() if k not in addressing | secrets} == {
        k: v for k, v in config.items() if k not in addressing
    }
    assert env["HTTP_HOST"] == "127.0.0.1"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:29092"  # the stack's, not the spec's
    assert env["DATABASE_URL"] == STACK.database_urls[workload]
    assert "CONVEYOR_RESILIENCY" in env


def test_env_and_secret_env_reach_the_workload() -> None:
    spec = read(LOCAL).spec
    assert environment(spec, "inventory", STACK)["ADMIN_TOKEN"] == "local-admin-token"
    assert environment(spec, "order", STACK)["SAGA_STEP_TIMEOUT_S"] == "30"
    assert "ADMIN_TOKEN" not in environment(spec, "payment", STACK)


def test_locally_identity_believes_the_client_address_only_its_loopback_gateway_names() -> None:
    workloads = read(LOCAL).spec.workloads
    assert workloads["identity"].env["TRUSTED_PROXIES"] == "127.0.0.1/32"
    assert "TRUSTED_PROXIES" not in workloads["gateway"].env  # nothing stands in front of it


def test_only_payment_is_told_where_the_card_provider_is() -> None:
    spec = read(LOCAL).spec
    stack = dataclasses.replace(STACK, payment_provider_url="http://127.0.0.1:24010")
    assert environment(spec, "payment", stack)["PAYMENT_PROVIDER_URL"] == "http://127.0.0.1:24010"
    others = ("order", "inventory", "notification")
    assert not any("PAYMENT_PROVIDER_URL" in environment(spec, w, stack) for w in others)


def test_the_local_fake_provider_replaces_a_clusters_provider_url() -> None:
    document = _document()
    payment = document["spec"]["workloads"]["payment"]
    payment["env"] = {"PAYMENT_PROVIDER_URL": "https://api.cards.example"}
    spec = _pipeline({"workloads": document["spec"]["workloads"]}).spec
    stack = dataclasses.replace(STACK, payment_provider_url="http://127.0.0.1:24010")
    assert environment(spec, "payment", stack)["PAYMENT_PROVIDER_URL"] == "http://127.0.0.1:24010"


def test_a_secret_the_local_stack_cannot_supply_is_refused_with_the_field_named() -> None:
    workloads = _document()["spec"]["workloads"]
    order = {**workloads["order"], "secretEnv": {"CARD_KEY": {"name": "cards", "key": "key"}}}
    spec = _pipeline({"workloads": {**workloads, "order": order}}).spec
    with pytest.raises(PipelineError, match=r"spec\.workloads\.order\.secretEnv\.CARD_KEY"):
        environment(spec, "order", STACK)


def test_the_plan_survives_its_file() -> None:
    planned = plan(_pipeline({"paused": True}), source="x")
    assert LocalPlan.from_json(planned.to_json()) == planned


def test_up_makes_the_spec_the_desired_state_and_reset_returns_to_it(tmp_path: Path) -> None:
    workloads = Workloads(LocalStackSettings(state_dir=tmp_path, pipeline=LOCAL))
    workloads_spec = _document()["spec"]["workloads"]
    order = {**workloads_spec["order"], "replicas": 2}
    workloads.apply(plan(_pipeline({"workloads": {**workloads_spec, "order": order}}), source="x"))
    assert workloads.desired()["order"] == Desired(replicas=2)
    workloads.scale("order", 3)
    workloads.set_env("payment", {"PAYMENT_RETRIES": "1"})
    assert workloads.desired()["order"].replicas == 3
    # only payment's running process holds something a restart must drop
    assert workloads.reset() == ["payment"]
    assert workloads.desired()["order"] == Desired(replicas=2)
    assert workloads.desired()["payment"] == Desired(replicas=1)
    assert workloads.address("order", 1) == "127.0.0.1:18101"


def test_only_planned_workloads_can_be_scaled(tmp_path: Path) -> None:
    workloads = Workloads(LocalStackSettings(state_dir=tmp_path, pipeline=LOCAL))
    with pytest.raises(ValueError, match="unknown workload 'nowhere'"):
        workloads.scale("nowhere", 1)


def test_the_pipeline_file_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVEYOR_PIPELINE", raising=False)
    assert LocalStackSettings().pipeline == LOCAL
    monkeypatch.setenv("CONVEYOR_PIPELINE", "/tmp/other.yaml")  # noqa: S108 - not opened
    assert LocalStackSettings().pipeline == Path("/tmp/other.yaml")  # noqa: S108


def test_a_workload_moved_into_a_namespace_returns_to_the_host_on_reset(tmp_path: Path) -> None:
    workloads = Workloads(LocalStackSettings(state_dir=tmp_path, pipeline=LOCAL))
    workloads.apply(plan(_pipeline(), source="x"))
    workloads.set_netns("payment", "conveyor-218-0")
    assert workloads.desired()["payment"].netns == "conveyor-218-0"
    assert workloads.desired()["order"].netns is None
    assert workloads.reset() == ["payment"]
    assert workloads.reset() == [], "nothing left to drop"
    assert workloads.desired()["payment"] == Desired(replicas=1)


def test_every_workload_is_told_the_stacks_flags_file() -> None:
    spec = read(LOCAL).spec
    stack = dataclasses.replace(STACK, flags_file="/state/flags/flags.json")
    for workload in ("order", "inventory", "payment", "notification"):
        env = environment(spec, workload, stack)
        assert env["CONVEYOR_FLAGS_FILE"] == "/state/flags/flags.json"
