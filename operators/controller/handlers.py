"""kopf handlers for OrderPipeline: thin wiring from cluster events to the operator's parts.

Lifecycle:
- startup: kopf's settings (`kopf_settings`) and the shared `OperatorState` (`state`).
- create / update (spec only) / resume: a full reconcile; errors go to kopf, which retries with
  backoff and posts a Warning Event, after the status says what failed.
- a resync timer repeats the full reconcile now and then: the safety net for anything missed.
- topics (create / update / resume, and the same resync): the pipeline's Kafka topics are
  created and reconciled (`topics`) apart from the Deployments, so a broker that is not there
  yet delays only them.
- child events (every kind the operator renders, selected by its managed-by label): drift is
  repaired at once (`repair`), and Deployment status changes schedule a debounced status refresh
  of their pipeline (`status_refresh`).
- an autoscaling timer reads Kafka consumer lag for workloads that scale on it, lets
  `operators.pipeline.lag_scaling` decide, records each decision (an annotation on the pipeline,
  and an Event), then reconciles with it.
- delete: children carry owner references, so the garbage collector removes them; the finalizer
  is for what cannot carry an owner reference (objects in another namespace).
- probe: fails when the watch stream went silent while this replica is the active peer
  (`liveness`).

Peering: replicas (and a developer's `python -m operators.controller` against the same cluster)
register in the ClusterKopfPeering `conveyor-operator`; only the highest priority one handles
events, the others stand by.
"""

from __future__ import annotations

import time
from typing import Any

import kopf
from lightkube import AsyncClient

from operators.controller import reconcile as flow
from operators.controller import repair as drift
from operators.controller.children import Children
from operators.controller.kafka_connection import kafka_connection
from operators.controller.kopf_settings import apply_settings
from operators.controller.lag import KafkaLag, read_lags
from operators.controller.liveness import watch_liveness
from operators.controller.state import MEMO_KEY, OperatorState, operator_state, started_state
from operators.controller.status_refresh import cancel_pending
from operators.controller.topics import described, reconcile_topics
from operators.controller.watched import CHILD_RESOURCES, GROUP, MANAGED, PLURAL, VERSION, selector
from operators.pipeline.lag_scaling import lag_scaled, scale_on_lag

RESYNC_S = 60.0
AUTOSCALE_S = 10.0


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    apply_settings(settings)
    memo[MEMO_KEY] = OperatorState(
        children=Children(AsyncClient(field_manager="conveyor-operator")),
        lag=memo.get("lag_source") or KafkaLag(),
        priority=int(memo.get("priority", 0)),
    )


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    state = started_state(memo)
    if state is not None:
        cancel_pending(state)
        await state.children.client.close()


@kopf.on.resume(GROUP, VERSION, PLURAL, backoff=2)
@kopf.on.create(GROUP, VERSION, PLURAL, backoff=2)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec", backoff=2)
async def reconcile_on_change(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await _reconcile(operator_state(memo), body)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RESYNC_S, initial_delay=RESYNC_S)
async def resync(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await _reconcile(operator_state(memo), body)


@kopf.on.resume(GROUP, VERSION, PLURAL, id="topics", backoff=5)
@kopf.on.create(GROUP, VERSION, PLURAL, id="topics", backoff=5)
@kopf.on.update(GROUP, VERSION, PLURAL, id="topics", field="spec", backoff=5)
@kopf.timer(GROUP, VERSION, PLURAL, id="topics-resync", interval=RESYNC_S, initial_delay=RESYNC_S)
async def topics(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    try:
        spec = flow.parse_spec(body)
    except flow.InvalidSpecError:
        return  # reported by the reconcile handlers
    if spec.paused:
        return
    namespace = body.metadata.namespace or ""
    try:
        changes = await reconcile_topics(spec, namespace, children=operator_state(memo).children)
    except kopf.TemporaryError as exc:
        # Said, not retried here: kopf finishes a change only when every handler of it has, so a
        # broker out of reach would hold every later spec change. The resync timer tries again.
        kopf.warn(body, reason="TopicsFailed", message=str(exc))
        return
    if changes is not None and (message := described(changes)):
        kopf.event(body, type="Normal", reason="Topics", message=message)


async def _reconcile(state: OperatorState, body: kopf.Body, **scaled: int) -> None:
    """One reconcile, its failures said in kopf's terms: a permanent error for a spec the model
    refuses, a retryable one for a refused apply; each with a Warning Event."""
    try:
        removed = await flow.reconcile(state.children, body, scaled=scaled or None)
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
    removed = await operator_state(memo).children.remove_elsewhere(flow.owner_of(body))
    if removed:
        logger.info("removed outside the namespace: %s", ", ".join(removed))


@kopf.on.event(GROUP, VERSION, PLURAL)
async def watch_seen(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    state = started_state(memo)
    if state is not None:
        version = str(body.metadata.get("resourceVersion", ""))
        state.health.observe(event["type"], body.metadata.uid or "", version)


@kopf.timer(GROUP, VERSION, PLURAL, interval=AUTOSCALE_S, initial_delay=AUTOSCALE_S, timeout=60)
async def autoscale_on_lag(body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    state, meta = operator_state(memo), body.metadata
    try:
        spec = flow.parse_spec(body)
    except flow.InvalidSpecError:
        return  # reported by the reconcile handlers; nothing to scale
    if spec.kafka is None or not (scaled := lag_scaled(spec)):
        return
    connection = await kafka_connection(spec.kafka, meta.namespace or "", children=state.children)
    now = time.time()
    lags = await read_lags(state.lag, connection, scaled, logger=logger)
    outcome = scale_on_lag(spec, lags=lags, recorded=flow.scaling_decisions(body), now=now)
    if outcome is None:
        return
    await state.children.annotate(
        meta.name or "", meta.namespace or "", {flow.SCALED: outcome.annotation()}
    )
    if outcome.changes:
        kopf.event(body, type="Normal", reason="Scaled", message="; ".join(outcome.changes))
    await _reconcile(state, body, **outcome.replicas)


def _register_child_watch(api_version: str, plural: str) -> None:
    @kopf.on.event(*selector(api_version, plural), labels=MANAGED, id=f"repair-{plural}")
    async def repair(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await drift.repair(operator_state(memo), event["type"], body)


for _api_version, _plural in CHILD_RESOURCES:
    _register_child_watch(_api_version, _plural)


@kopf.on.probe(id="watch", errors=kopf.ErrorsMode.PERMANENT)
async def watch_is_live(memo: kopf.Memo, **_: Any) -> str:
    """Fails (HTTP 500 on the liveness endpoint) when the OrderPipeline watch went silent.

    Errors are permanent so the endpoint answers at once rather than retrying inside the
    request; an API error while listing is "unknown", not a reason to restart the operator.
    """
    return await watch_liveness(operator_state(memo))
