"""The operator's small pure parts: watch staleness, peering rank, decisions, observations."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import kopf
import pytest
from aiokafka.errors import KafkaConnectionError

from operators.controller.children import Children, controlled_by, observation, owns_replicas
from operators.controller.kafka_connection import kafka_connection
from operators.controller.lag import groups_of, read_lags
from operators.controller.reconcile import SCALED, InvalidSpecError, parse_spec, scaling_decisions
from operators.controller.watch_health import WatchHealth, outranked
from operators.pipeline.spec import KafkaSpec
from operators.pipeline.status import invalid_spec_status
from workloads.catalogue import WORKLOADS

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_a_watch_that_delivered_every_version_is_not_stale() -> None:
    health = WatchHealth(grace_s=30)
    health.saw("a", "10")
    assert health.stale({"a": "10"}, now=0) == []
    assert health.stale({"a": "10"}, now=1000) == []


def test_a_version_the_watch_never_delivered_is_stale_only_after_the_grace() -> None:
    health = WatchHealth(grace_s=30)
    health.saw("a", "10")
    assert health.stale({"a": "11"}, now=100) == []
    assert health.stale({"a": "11"}, now=129) == []
    assert health.stale({"a": "11"}, now=131) == ["a"]
    health.saw("a", "11")
    assert health.stale({"a": "11"}, now=132) == []


def test_a_late_event_resets_the_clock() -> None:
    health = WatchHealth(grace_s=30)
    assert health.stale({"a": "5"}, now=0) == []
    health.saw("a", "5")
    assert health.stale({"a": "6"}, now=50) == []
    assert health.stale({"a": "6"}, now=81) == ["a"]


def test_a_live_peer_with_a_higher_priority_outranks() -> None:
    fresh = (NOW - timedelta(seconds=5)).replace(tzinfo=None).isoformat()
    stale = (NOW - timedelta(seconds=120)).replace(tzinfo=None).isoformat()
    peers = {"a@x": {"priority": 200, "lifetime": 30, "lastseen": fresh}}
    assert outranked(peers, own_priority=100, now=NOW)
    assert not outranked(peers, own_priority=200, now=NOW)
    assert not outranked(peers, own_priority=300, now=NOW)
    gone = {"a@x": {"priority": 200, "lifetime": 30, "lastseen": stale}}
    assert not outranked(gone, own_priority=100, now=NOW)
    assert not outranked({"junk": "x", "b": {"priority": "high"}}, own_priority=1, now=NOW)


def test_lag_counts_every_group_of_a_workload_and_no_other() -> None:
    groups = ["order-saga", "order-products", "orders", "inventory", "order"]
    assert groups_of("order", groups) == ["order", "order-products", "order-saga"]
    assert groups_of("payment", groups) == []


def test_lag_counts_exactly_the_consumer_groups_the_catalogue_gives_each_workload() -> None:
    every_group = [group for w in WORKLOADS for group in w.consumer_groups]
    for workload in WORKLOADS:
        assert groups_of(workload.name, every_group) == sorted(workload.consumer_groups)


def test_scaling_decisions_survive_garbage_in_the_annotation() -> None:
    def body(raw: str) -> dict[str, object]:
        return {"metadata": {"annotations": {SCALED: raw}}}

    good = json.dumps({"notification": {"replicas": 3, "at": 12.5}})
    assert scaling_decisions(body(good)) == {"notification": {"replicas": 3.0, "at": 12.5}}
    assert scaling_decisions(body("not json")) == {}
    assert scaling_decisions(body("[1, 2]")) == {}
    assert scaling_decisions(body(json.dumps({"x": {"replicas": "3"}}))) == {}
    assert scaling_decisions({"metadata": {}}) == {}


def test_an_unreadable_spec_names_the_field() -> None:
    body = {"spec": {"workloads": {"order": {"image": "conveyor/order:dev", "replicas": "many"}}}}
    with pytest.raises(InvalidSpecError, match=r"spec\.workloads\.order"):
        parse_spec(body)


def test_a_deployment_not_yet_seen_by_its_controller_counts_nothing_ready() -> None:
    deployment: dict[str, Any] = {
        "metadata": {"generation": 3},
        "spec": {"replicas": 2},
        "status": {"observedGeneration": 2, "readyReplicas": 2, "updatedReplicas": 2},
    }
    seen = observation(deployment)
    assert (seen.desired, seen.ready, seen.updated) == (2, 0, 0)
    deployment["status"] = {
        "observedGeneration": 3,
        "readyReplicas": 2,
        "updatedReplicas": 2,
        "availableReplicas": 2,
        "conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}],
    }
    seen = observation(deployment)
    assert seen.rolled_out()
    assert seen.progress_deadline_exceeded


def test_only_the_controlling_owner_counts() -> None:
    child = {"metadata": {"ownerReferences": [{"uid": "u1", "controller": True}]}}
    assert controlled_by(child, "u1")
    assert not controlled_by(child, "u2")
    assert not controlled_by({"metadata": {"ownerReferences": [{"uid": "u1"}]}}, "u1")


class _SecretsOnly(Children):
    def __init__(self, data: dict[str, str]) -> None:
        self.data = data
        self.read: list[tuple[str, str]] = []

    async def secret_data(
        self, name: str, namespace: str, *, keys: Iterable[str]
    ) -> dict[str, str]:
        self.read.append((namespace, name))
        return {key: self.data[key] for key in keys if key in self.data}


async def test_lag_is_read_with_the_credentials_the_spec_names() -> None:
    children = _SecretsOnly({"username": "op", "password": "pw"})
    kafka = KafkaSpec.model_validate(
        {"bootstrapServers": "b-1.msk:9096", "authSecretRef": {"name": "conveyor-kafka"}}
    )
    options = await kafka_connection(kafka, "shop", children=children)
    assert children.read == [("shop", "conveyor-kafka")]
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_plain_username"] == "op"
    plain = KafkaSpec.model_validate({"bootstrapServers": "127.0.0.1:19092"})
    assert await kafka_connection(plain, "shop", children=children) == {
        "bootstrap_servers": "127.0.0.1:19092"
    }


async def test_a_kafka_secret_without_a_password_is_a_retryable_error() -> None:
    children = _SecretsOnly({"username": "op"})
    kafka = KafkaSpec.model_validate(
        {"bootstrapServers": "b-1.msk:9096", "authSecretRef": {"name": "conveyor-kafka"}}
    )
    with pytest.raises(kopf.TemporaryError, match="password"):
        await kafka_connection(kafka, "shop", children=children)


def test_replicas_are_owned_only_by_an_apply_that_set_them() -> None:
    def deployment(*entries: tuple[str, str, bool]) -> dict[str, Any]:
        return {
            "metadata": {
                "managedFields": [
                    {
                        "manager": manager,
                        "operation": operation,
                        "fieldsV1": {"f:spec": {"f:replicas": {}} if replicas else {"f:x": {}}},
                    }
                    for manager, operation, replicas in entries
                ]
            }
        }

    assert owns_replicas(deployment(("conveyor-operator", "Apply", True)), "conveyor-operator")
    assert not owns_replicas(deployment(("conveyor-operator", "Apply", False)), "conveyor-operator")
    assert not owns_replicas(
        deployment(("kube-controller-manager", "Update", True)), "conveyor-operator"
    )
    assert not owns_replicas({"metadata": {}}, "conveyor-operator")


def test_an_unreadable_spec_fails_every_condition_and_keeps_their_transition_times() -> None:
    first = invalid_spec_status(
        message="spec.x: bad", generation=2, previous_conditions=[], now=NOW
    )
    assert first["phase"] == "Failed"
    assert {c["type"]: c["status"] for c in first["conditions"]} == {
        "Ready": "False",
        "Progressing": "False",
        "Degraded": "True",
    }
    later = invalid_spec_status(
        message="spec.x: bad",
        generation=2,
        previous_conditions=first["conditions"],
        now=NOW + timedelta(minutes=5),
    )
    assert later == first


class _Lags:
    def __init__(self, lags: dict[str, int | Exception]) -> None:
        self.lags = lags

    async def lag(self, connection: Mapping[str, Any], workload: str) -> int:
        found = self.lags[workload]
        if isinstance(found, Exception):
            raise found
        return found


async def test_a_workload_whose_lag_is_unreadable_is_logged_and_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = _Lags({"payment": KafkaConnectionError("down"), "notification": 7})
    logger = logging.getLogger("test.lag")
    lags = await read_lags(source, {}, ["payment", "notification"], logger=logger)
    assert lags == {"notification": 7}
    assert "lag of payment unreadable" in caplog.text


def test_a_deleted_object_is_forgotten_and_any_other_event_is_seen() -> None:
    health = WatchHealth(grace_s=30)
    health.observe("MODIFIED", "a", "7")
    assert health.seen == {"a": "7"}
    health.observe("DELETED", "a", "8")
    assert health.seen == {}
