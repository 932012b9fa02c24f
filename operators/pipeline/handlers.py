"""kopf handlers for OrderPipeline: thin wiring from cluster events to `reconcile`.

Lifecycle:
- create / update (spec only) / resume: a full reconcile; errors go to kopf, which retries with
  backoff and posts a Warning Event, after the status says what failed.
- a resync timer repeats the full reconcile now and then: the safety net for anything missed.
- child events (every kind the operator renders, selected by its managed-by label): a child that
  is deleted, or whose spec generation changed, is re-applied at once from the owner's current
  spec, which is how drift is repaired within a second rather than at the next resync. Status
  changes of Deployments schedule a (debounced) status refresh of their pipeline.
- an autoscaling timer reads Kafka consumer lag for workloads that scale on it and records each
  decision (an annotation on the pipeline, and an Event), then reconciles with it.
- delete: children carry owner references, so the garbage collector removes them; the finalizer
  is for what cannot carry an owner reference (objects in another namespace).
- probe: fails when the watch stream went silent while this replica is the active peer.

Peering: replicas (and a developer's `--dev` run) register in the ClusterKopfPeering
`conveyor-operator`; only the highest priority one handles events, the others stand by.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import kopf
from lightkube import ALL_NS, ApiError, AsyncClient
from lightkube.generic_resource import create_global_resource
from pydantic import SecretStr

from operators.pipeline import reconcile as flow
from operators.pipeline.autoscaling import decide_replicas
from operators.pipeline.children import Children, OrderPipelineResource, controlled_by, plain
from operators.pipeline.lag import KafkaLag, LagSource
from operators.pipeline.objects import MANAGED_BY
from operators.pipeline.render import render_children
from operators.pipeline.spec import KafkaSpec
from operators.pipeline.watch_health import WatchHealth, outranked
from workloads.shared.kafka import KafkaSettings

GROUP, VERSION, PLURAL = "conveyor.dev", "v1alpha1", "orderpipelines"
PEERING = "conveyor-operator"
FINALIZER = "conveyor.dev/cleanup"
RESYNC_S = 60.0
AUTOSCALE_S = 10.0
MANAGED = {"app.kubernetes.io/managed-by": MANAGED_BY}
# Kinds whose metadata.generation moves only with spec edits; status churn is ignored for them.
GENERATION_KINDS = frozenset({"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"})
CHILD_RESOURCES = (
    ("v1", "serviceaccounts"),
    ("v1", "configmaps"),
    ("v1", "services"),
    ("apps/v1", "deployments"),
    ("autoscaling/v2", "horizontalpodautoscalers"),
    ("policy/v1", "poddisruptionbudgets"),
    ("networking.k8s.io/v1", "networkpolicies"),
    ("monitoring.coreos.com/v1", "servicemonitors"),
    ("monitoring.coreos.com/v1", "prometheusrules"),
)
ClusterKopfPeering = create_global_resource(
    "kopf.dev", "v1", "ClusterKopfPeering", "clusterkopfpeerings"
)


@dataclass
class Runtime:
    """What the handlers share, kept in kopf's memo."""

    children: Children
    lag: LagSource
    priority: int
    health: WatchHealth = field(default_factory=WatchHealth)
    generations: dict[str, int] = field(default_factory=dict)
    pending_status: dict[tuple[str, str], asyncio.Task[None]] = field(default_factory=dict)


def runtime(memo: kopf.Memo) -> Runtime:
    found = memo.get("runtime")
    if not isinstance(found, Runtime):
        raise kopf.TemporaryError("the operator is still starting", delay=1)
    return found


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="conveyor.dev")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="conveyor.dev", key="last-handled-configuration"
    )
    # Handler chatter stays in the logs; Events carry warnings and the decisions posted below.
    settings.posting.level = logging.WARNING
    # Re-open watches regularly: a stream that died silently is replaced within minutes at worst.
    settings.watching.server_timeout = 120
    settings.watching.client_timeout = 150
    settings.peering.lifetime = 30
    settings.batching.error_delays = [1, 2, 5, 10, 20, 30]
    priority = int(memo.get("priority", 0))
    memo["runtime"] = Runtime(
        children=Children(AsyncClient(field_manager="conveyor-operator")),
        lag=memo.get("lag_source") or KafkaLag(),
        priority=priority,
    )


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    found = memo.get("runtime")
    if isinstance(found, Runtime):
        await found.children.client.close()


@kopf.on.resume(GROUP, VERSION, PLURAL, backoff=2)
@kopf.on.create(GROUP, VERSION, PLURAL, backoff=2)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec", backoff=2)
async def reconcile_on_change(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await _reconcile(runtime(memo), body)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RESYNC_S, initial_delay=RESYNC_S, idle=RESYNC_S)
async def resync(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await _reconcile(runtime(memo), body)


async def _reconcile(rt: Runtime, body: kopf.Body, **scaled: int) -> None:
    try:
        removed = await flow.reconcile(rt.children, body, scaled=scaled or None)
    except flow.InvalidSpecError as exc:
        kopf.warn(body, reason="InvalidSpec", message=str(exc))
        raise kopf.PermanentError(str(exc)) from exc
    except flow.ApplyError as exc:
        kopf.warn(body, reason="ApplyFailed", message=str(exc))
        raise kopf.TemporaryError(str(exc), delay=5) from exc
    if removed:
        kopf.event(body, type="Normal", reason="Pruned", message=f"removed {', '.join(removed)}")


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def clean_up(body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    """Delete labelled objects of this pipeline outside its namespace (no owner refs there)."""
    removed = await runtime(memo).children.remove_elsewhere(flow.owner_of(body))
    if removed:
        logger.info("removed outside the namespace: %s", ", ".join(removed))


@kopf.on.event(GROUP, VERSION, PLURAL)
async def watch_seen(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    found = memo.get("runtime")
    if not isinstance(found, Runtime):
        return
    uid = body.metadata.uid or ""
    if event["type"] == "DELETED":
        found.health.forget(uid)
    else:
        found.health.saw(uid, str(body.metadata.get("resourceVersion", "")))


@kopf.timer(GROUP, VERSION, PLURAL, interval=AUTOSCALE_S, initial_delay=AUTOSCALE_S)
async def autoscale_on_lag(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    rt = runtime(memo)
    spec = flow.parse_spec(body)
    lagging = {
        name: w.autoscaling
        for name, w in spec.workloads.items()
        if w.autoscaling is not None and w.autoscaling.metric == "kafkaLag"
    }
    if spec.paused or spec.kafka is None or not lagging:
        return
    connection = await _kafka_connection(rt, spec.kafka, body.metadata.namespace or "")
    decisions = flow.scaling_decisions(body)
    now = time.time()
    changed: list[str] = []
    for name, policy in sorted(lagging.items()):
        bounds = spec.bounds(name)
        previous = decisions.get(name)
        current = int(previous["replicas"]) if previous else bounds[0]
        lag = await rt.lag.lag(connection, name)
        decision = decide_replicas(
            current=current,
            lag=lag,
            bounds=bounds,
            lag_threshold=policy.lag_threshold,
            cooldown_s=policy.cooldown_seconds,
            last_scaled_at=previous["at"] if previous else None,
            now=now,
        )
        if decision.changes(current) or previous is None:
            decisions[name] = {"replicas": decision.replicas, "at": now}
        if decision.changes(current):
            changed.append(
                f"{name} {current}→{decision.replicas} ({decision.reason}, lag {lag}, "
                f"threshold {policy.lag_threshold})"
            )
    if not changed and all(name in flow.scaling_decisions(body) for name in lagging):
        return
    meta = body.metadata
    encoded = json.dumps(decisions, sort_keys=True)
    await rt.children.annotate(meta.name or "", meta.namespace or "", {flow.SCALED: encoded})
    if changed:
        kopf.event(body, type="Normal", reason="Scaled", message="; ".join(changed))
    replicas = {name: int(entry["replicas"]) for name, entry in decisions.items()}
    await _reconcile(rt, body, **replicas)


async def _kafka_connection(rt: Runtime, kafka: KafkaSpec, namespace: str) -> dict[str, Any]:
    """The workloads' own Kafka connection options, with the credentials the spec refers to."""
    if kafka.auth_secret_ref is None:
        return KafkaSettings(bootstrap_servers=kafka.bootstrap_servers).connection()
    data = await rt.children.secret_data(kafka.auth_secret_ref.name, namespace)
    try:
        settings = KafkaSettings(
            bootstrap_servers=kafka.bootstrap_servers,
            sasl_username=data["username"],
            sasl_password=SecretStr(data["password"]),
        )
    except KeyError as exc:
        raise kopf.TemporaryError(
            f"Secret {kafka.auth_secret_ref.name} lacks the key {exc}", delay=30
        ) from exc
    return settings.connection()


def _register_child_watch(api_version: str, plural: str) -> None:
    group, _, version = api_version.rpartition("/")

    @kopf.on.event(group, version, plural, labels=MANAGED, id=f"repair-{plural}")
    async def repair(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await _repair(runtime(memo), event["type"], body)


for _api_version, _plural in CHILD_RESOURCES:
    _register_child_watch(_api_version, _plural)


def _controller_of(body: Mapping[str, Any]) -> str | None:
    for ref in body.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == "OrderPipeline" and ref.get("controller"):
            return str(ref.get("name"))
    return None


async def _repair(  # noqa: PLR0911 - each early return is one reason to leave a child alone
    rt: Runtime, event_type: str | None, body: Mapping[str, Any]
) -> None:
    if event_type not in {"MODIFIED", "DELETED"}:
        return
    owner_name = _controller_of(body)
    meta = body["metadata"]
    if owner_name is None:
        return
    kind, name, namespace, uid = body["kind"], meta["name"], meta["namespace"], meta["uid"]
    if event_type == "DELETED":
        rt.generations.pop(uid, None)
    elif kind in GENERATION_KINDS:
        generation = int(meta.get("generation", 0))
        if rt.generations.get(uid) == generation:
            if kind == "Deployment":
                _schedule_status(rt, namespace, owner_name)
            return
        rt.generations[uid] = generation
    pipeline = await rt.children.pipeline(owner_name, namespace)
    if pipeline is None or pipeline["metadata"].get("deletionTimestamp"):
        return
    if not controlled_by(body, pipeline["metadata"]["uid"]):
        return
    spec = flow.parse_spec(pipeline)
    if spec.paused:
        return
    owner = flow.owner_of(pipeline)
    prometheus = await rt.children.prometheus_operator_installed(namespace)
    rendered = render_children(
        owner, spec, prometheus_operator=prometheus, scaled=flow.scaled_replicas(pipeline)
    )
    wanted = next(
        (c for c in rendered if c["kind"] == kind and c["metadata"]["name"] == name), None
    )
    if wanted is None:
        return  # a leftover the next reconcile prunes
    await rt.children.apply(wanted)
    if event_type == "DELETED":
        message = f"{kind}/{name} was deleted; recreated"
        kopf.event(
            kopf.Body(cast(kopf.RawBody, pipeline)),
            type="Normal",
            reason="Repaired",
            message=message,
        )
    if kind == "Deployment":
        _schedule_status(rt, namespace, owner_name)


def _schedule_status(rt: Runtime, namespace: str, name: str) -> None:
    """Refresh a pipeline's status soon, once for a burst of Deployment events."""
    key = (namespace, name)
    running = rt.pending_status.get(key)
    if running is not None and not running.done():
        return
    rt.pending_status[key] = asyncio.create_task(_refresh_status_later(rt, namespace, name))


async def _refresh_status_later(rt: Runtime, namespace: str, name: str) -> None:
    await asyncio.sleep(0.3)
    pipeline = await rt.children.pipeline(name, namespace)
    if pipeline is None or pipeline["metadata"].get("deletionTimestamp"):
        return
    try:
        spec = flow.parse_spec(pipeline)
    except flow.InvalidSpecError:
        return
    await flow.refresh_status(rt.children, pipeline, spec)


@kopf.on.probe(id="watch")
async def watch_is_live(memo: kopf.Memo, **_: Any) -> str:
    """Fails (HTTP 500 on the liveness endpoint) when the OrderPipeline watch went silent."""
    rt = runtime(memo)
    client = rt.children.client
    try:
        peering = await client.get(ClusterKopfPeering, PEERING)
        peers = plain(peering).get("status") or {}
    except ApiError:
        peers = {}
    if outranked(peers, own_priority=rt.priority, now=datetime.now(UTC)):
        return "standby"
    listed: dict[str, str] = {}
    async for item in client.list(OrderPipelineResource, namespace=ALL_NS):
        body = plain(item)
        listed[body["metadata"]["uid"]] = str(body["metadata"]["resourceVersion"])
    stale = rt.health.stale(listed, time.monotonic())
    if stale:
        raise RuntimeError(f"watch stream stale: {len(stale)} OrderPipeline change(s) not seen")
    return "watching"
