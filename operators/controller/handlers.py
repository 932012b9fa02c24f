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

Peering: replicas (and a developer's `python -m operators.controller` against the same cluster)
register in the ClusterKopfPeering `conveyor-operator`; only the highest priority one handles
events, the others stand by.
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

import httpx2
import kopf
from aiokafka.errors import KafkaError
from lightkube import ALL_NS, ApiError, AsyncClient
from lightkube.generic_resource import create_global_resource
from pydantic import SecretStr

from operators.controller import reconcile as flow
from operators.controller.children import Children, OrderPipelineResource, controlled_by, plain
from operators.controller.lag import KafkaLag, LagSource
from operators.controller.watch_health import WatchHealth, outranked
from operators.pipeline.autoscaling import decide_replicas
from operators.pipeline.objects import MANAGED_BY
from operators.pipeline.render import render_children
from operators.pipeline.spec import KafkaSpec
from workloads.shared.messaging.kafka import KafkaSettings

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
    dirty_status: set[tuple[str, str]] = field(default_factory=set)


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
    settings.queueing.error_delays = [1, 2, 5, 10, 20, 30]
    # Child watches are filtered by the API server, so the operator never lists the cluster's
    # other ConfigMaps, Services or Deployments.
    for api_version, plural in CHILD_RESOURCES:
        managed = ",".join(f"{key}={value}" for key, value in MANAGED.items())
        settings.watching.label_selectors[_selector(api_version, plural)] = managed
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
        for task in found.pending_status.values():
            task.cancel()
        await found.children.client.close()


@kopf.on.resume(GROUP, VERSION, PLURAL, backoff=2)
@kopf.on.create(GROUP, VERSION, PLURAL, backoff=2)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec", backoff=2)
async def reconcile_on_change(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await _reconcile(runtime(memo), body)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RESYNC_S, initial_delay=RESYNC_S)
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


@kopf.timer(GROUP, VERSION, PLURAL, interval=AUTOSCALE_S, initial_delay=AUTOSCALE_S, timeout=60)
async def autoscale_on_lag(body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    rt = runtime(memo)
    try:
        spec = flow.parse_spec(body)
    except flow.InvalidSpecError:
        return  # reported by the reconcile handlers; nothing to scale

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
        try:
            lag = await rt.lag.lag(connection, name)
        except (KafkaError, OSError, TimeoutError) as exc:
            logger.warning("lag of %s unreadable, not scaling it this time: %r", name, exc)
            continue
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
    """The workloads' own Kafka connection options, with the credentials the spec refers to.

    Every field is passed explicitly, so nothing from the operator's own environment (a
    developer's KAFKA_SASL_*) is ever sent to the brokers a pipeline names.
    """
    if kafka.auth_secret_ref is None:
        plaintext = KafkaSettings(
            bootstrap_servers=kafka.bootstrap_servers, sasl_username=None, sasl_password=None
        )
        return plaintext.connection()
    name = kafka.auth_secret_ref.name
    try:
        data = await rt.children.secret_data(name, namespace, keys=("username", "password"))
    except ApiError as exc:
        raise kopf.TemporaryError(f"Secret {name}: {exc.status.message}", delay=30) from exc
    missing = sorted({"username", "password"} - set(data))
    if missing:
        raise kopf.TemporaryError(f"Secret {name} lacks the key(s) {missing}", delay=30)
    settings = KafkaSettings(
        bootstrap_servers=kafka.bootstrap_servers,
        sasl_username=data["username"],
        sasl_password=SecretStr(data["password"]),
    )
    return settings.connection()


def _selector(api_version: str, plural: str) -> tuple[str, str] | tuple[str, str, str]:
    group, _, version = api_version.rpartition("/")
    return (group, version, plural) if group else (version, plural)


def _register_child_watch(api_version: str, plural: str) -> None:
    @kopf.on.event(*_selector(api_version, plural), labels=MANAGED, id=f"repair-{plural}")
    async def repair(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await _repair(runtime(memo), event["type"], body)


for _api_version, _plural in CHILD_RESOURCES:
    _register_child_watch(_api_version, _plural)


def _controller_of(body: Mapping[str, Any]) -> str | None:
    for ref in body.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == "OrderPipeline" and ref.get("controller"):
            return str(ref.get("name"))
    return None


async def _repair(rt: Runtime, event_type: str | None, body: Mapping[str, Any]) -> None:
    owner_name = _controller_of(body)
    if event_type not in {"MODIFIED", "DELETED"} or owner_name is None:
        return
    meta = body["metadata"]
    kind, name, namespace, uid = body["kind"], meta["name"], meta["namespace"], meta["uid"]
    generation = int(meta.get("generation", 0))
    if event_type == "DELETED":
        rt.generations.pop(uid, None)
    elif kind in GENERATION_KINDS and rt.generations.get(uid) == generation:
        if kind == "Deployment":  # status churn only: the pipeline's status may have changed
            _schedule_status(rt, namespace, owner_name)
        return
    pipeline = await _live_owner(rt, owner_name, namespace, body)
    wanted = await _rendered_child(rt, pipeline, kind, name) if pipeline else None
    if pipeline is None or wanted is None:
        return
    try:
        await rt.children.apply(wanted)
    except ApiError as exc:  # e.g. the namespace is terminating; the next event or resync retries
        logging.getLogger(__name__).warning("could not repair %s/%s: %s", kind, name, exc)
        return
    if kind in GENERATION_KINDS and event_type == "MODIFIED":
        rt.generations[uid] = generation
    if event_type == "DELETED":
        kopf.event(
            kopf.Body(cast(kopf.RawBody, pipeline)),
            type="Normal",
            reason="Repaired",
            message=f"{kind}/{name} was deleted; recreated",
        )
    if kind == "Deployment":
        _schedule_status(rt, namespace, owner_name)


async def _live_owner(
    rt: Runtime, name: str, namespace: str, child: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The pipeline that controls this child, unless it is gone or going."""
    pipeline = await rt.children.pipeline(name, namespace)
    if pipeline is None or pipeline["metadata"].get("deletionTimestamp"):
        return None
    return pipeline if controlled_by(child, pipeline["metadata"]["uid"]) else None


async def _rendered_child(
    rt: Runtime, pipeline: Mapping[str, Any], kind: str, name: str
) -> dict[str, Any] | None:
    """The child as the pipeline's spec renders it; None when paused, unreadable or a leftover."""
    try:
        spec = flow.parse_spec(pipeline)
    except flow.InvalidSpecError:
        return None  # reported by the reconcile handlers
    if spec.paused:
        return None
    namespace = pipeline["metadata"]["namespace"]
    rendered = render_children(
        flow.owner_of(pipeline),
        spec,
        prometheus_operator=await rt.children.prometheus_operator_installed(namespace),
        scaled=flow.scaled_replicas(pipeline),
    )
    return next((c for c in rendered if c["kind"] == kind and c["metadata"]["name"] == name), None)


def _schedule_status(rt: Runtime, namespace: str, name: str) -> None:
    """Refresh a pipeline's status soon: once for a burst of Deployment events, and once more
    if events arrive while a refresh is already reading (so the last change is never lost)."""
    key = (namespace, name)
    rt.dirty_status.add(key)
    running = rt.pending_status.get(key)
    if running is not None and not running.done():
        return
    rt.pending_status[key] = asyncio.create_task(_refresh_status_later(rt, namespace, name))


async def _refresh_status_later(rt: Runtime, namespace: str, name: str) -> None:
    key = (namespace, name)
    try:
        while key in rt.dirty_status:
            await asyncio.sleep(0.3)
            rt.dirty_status.discard(key)
            await _refresh_status_now(rt, namespace, name)
    except asyncio.CancelledError:
        raise
    except Exception:  # the next event or the resync refreshes again; say why this one failed
        logging.getLogger(__name__).exception("status refresh of %s/%s failed", namespace, name)
    finally:
        rt.pending_status.pop(key, None)


async def _refresh_status_now(rt: Runtime, namespace: str, name: str) -> None:
    pipeline = await rt.children.pipeline(name, namespace)
    if pipeline is None or pipeline["metadata"].get("deletionTimestamp"):
        return
    try:
        spec = flow.parse_spec(pipeline)
    except flow.InvalidSpecError:
        return
    # A failure reported by the last reconcile stands until a reconcile succeeds.
    await flow.refresh_status(rt.children, pipeline, spec, error=flow.reported_error(pipeline))


@kopf.on.probe(id="watch", errors=kopf.ErrorsMode.PERMANENT)
async def watch_is_live(memo: kopf.Memo, **_: Any) -> str:
    """Fails (HTTP 500 on the liveness endpoint) when the OrderPipeline watch went silent.

    Errors are permanent so the endpoint answers at once rather than retrying inside the
    request; an API error while listing is "unknown", not a reason to restart the operator.
    """
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
    try:
        async for item in client.list(OrderPipelineResource, namespace=ALL_NS):
            body = plain(item)
            listed[body["metadata"]["uid"]] = str(body["metadata"]["resourceVersion"])
    except httpx2.HTTPError:
        return "unknown"
    stale = rt.health.stale(listed, time.monotonic())
    if stale:
        raise RuntimeError(f"watch stream stale: {len(stale)} OrderPipeline change(s) not seen")
    return "watching"
