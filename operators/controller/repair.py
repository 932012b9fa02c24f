"""Drift repair: a child that was deleted or whose spec was edited is re-applied at once.

Every kind the operator renders is watched (selected by its managed-by label, see `watched`).
For an event on a child controlled by an OrderPipeline:
- DELETED: the child is rendered from the owner's current spec and applied again, and a
  `Repaired` Event on the pipeline says so;
- MODIFIED: kinds whose metadata.generation moves only with spec edits (Deployments, HPAs, PDBs)
  are re-applied only when the generation differs from the one the operator last applied, so
  status churn costs nothing; other kinds are re-applied on every modification (an apply that
  changes nothing writes nothing, so the repair does not feed itself events).
A Deployment event of either sort schedules a status refresh of its pipeline.

Nothing is repaired for a child whose owner is gone or being deleted, paused, has a spec the
model refuses (the reconcile handlers report that), or no longer renders that child (a leftover
the next reconcile prunes). Failure behaviour: an API error on the apply (say, the namespace is
terminating) is logged and dropped; the next event or the periodic resync retries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

import kopf
from lightkube import ApiError

from operators.controller import reconcile as flow
from operators.controller.children import controlled_by
from operators.controller.state import OperatorState
from operators.controller.status_refresh import schedule_status
from operators.pipeline.render import render_children

# Kinds whose metadata.generation moves only with spec edits; status churn is ignored for them.
GENERATION_KINDS = frozenset({"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"})

log = logging.getLogger(__name__)


def controller_of(body: Mapping[str, Any]) -> str | None:
    """The name of the OrderPipeline that controls this child, if one does."""
    for ref in body.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == "OrderPipeline" and ref.get("controller"):
            return str(ref.get("name"))
    return None


async def repair(state: OperatorState, event_type: str | None, body: Mapping[str, Any]) -> None:
    """React to one watch event of a child (see the module docstring)."""
    owner_name = controller_of(body)
    if event_type not in {"MODIFIED", "DELETED"} or owner_name is None:
        return
    meta = body["metadata"]
    kind, name, namespace, uid = body["kind"], meta["name"], meta["namespace"], meta["uid"]
    generation = int(meta.get("generation", 0))
    if event_type == "DELETED":
        state.generations.pop(uid, None)
    elif kind in GENERATION_KINDS and state.generations.get(uid) == generation:
        if kind == "Deployment":  # status churn only: the pipeline's status may have changed
            schedule_status(state, namespace, owner_name)
        return
    pipeline = await _live_owner(state, owner_name, namespace, body)
    wanted = await _rendered_child(state, pipeline, kind, name) if pipeline else None
    if pipeline is None or wanted is None:
        return
    try:
        await state.children.apply(wanted)
    except ApiError as exc:  # e.g. the namespace is terminating; the next event or resync retries
        log.warning("could not repair %s/%s: %s", kind, name, exc)
        return
    if kind in GENERATION_KINDS and event_type == "MODIFIED":
        state.generations[uid] = generation
    if event_type == "DELETED":
        kopf.event(
            kopf.Body(cast(kopf.RawBody, pipeline)),
            type="Normal",
            reason="Repaired",
            message=f"{kind}/{name} was deleted; recreated",
        )
    if kind == "Deployment":
        schedule_status(state, namespace, owner_name)


async def _live_owner(
    state: OperatorState, name: str, namespace: str, child: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The pipeline that controls this child, unless it is gone or going."""
    pipeline = await state.children.pipeline(name, namespace)
    if pipeline is None or pipeline["metadata"].get("deletionTimestamp"):
        return None
    return pipeline if controlled_by(child, pipeline["metadata"]["uid"]) else None


async def _rendered_child(
    state: OperatorState, pipeline: Mapping[str, Any], kind: str, name: str
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
        prometheus_operator=await state.children.prometheus_operator_installed(namespace),
        scaled=flow.scaled_replicas(pipeline),
    )
    return next((c for c in rendered if c["kind"] == kind and c["metadata"]["name"] == name), None)
