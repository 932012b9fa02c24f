"""One reconciliation of an OrderPipeline: render, apply, prune, report — idempotent by design.

Every handler ends up here (create, update, resume, the periodic resync, autoscaling decisions),
so there is one path from spec to cluster. Nothing is remembered between calls except what the
cluster holds: the spec, the lag-scaling decisions (an annotation on the pipeline) and the
previous status conditions (their lastTransitionTime is kept while they hold). A failed write is
reported in the status (phase Failed, condition Degraded with the API server's message) before the
error goes back to kopf, which retries with backoff and posts it as a Warning Event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lightkube import ApiError
from pydantic import ValidationError

from operators.controller.children import Children
from operators.pipeline.objects import Owner
from operators.pipeline.render import render_children
from operators.pipeline.spec import API_VERSION, KIND, OrderPipelineSpec
from operators.pipeline.status import compute_status, invalid_spec_status

CONFLICT = 409
STATUS_ATTEMPTS = 5  # conflicting status writes in a row before the ApiError is raised
SCALED = "conveyor.dev/scaled"  # annotation: {"<workload>": {"replicas": n, "at": unix seconds}}


class InvalidSpecError(ValueError):
    """The stored spec does not satisfy the model (the CRD let through what the model refuses)."""


class ApplyError(RuntimeError):
    """The API server refused a child; the message names it."""


def owner_of(body: Mapping[str, Any]) -> Owner:
    meta = body["metadata"]
    return Owner(
        api_version=API_VERSION,
        kind=KIND,
        name=meta["name"],
        namespace=meta["namespace"],
        uid=meta["uid"],
    )


def parse_spec(body: Mapping[str, Any]) -> OrderPipelineSpec:
    try:
        return OrderPipelineSpec.model_validate(body.get("spec") or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "spec"
        raise InvalidSpecError(f"spec.{where}: {first['msg']}") from exc


def scaling_decisions(body: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    raw = (body.get("metadata", {}).get("annotations") or {}).get(SCALED)
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    if not isinstance(decoded, dict):
        return {}
    return {
        str(workload): {"replicas": float(entry["replicas"]), "at": float(entry.get("at", 0))}
        for workload, entry in decoded.items()
        if isinstance(entry, dict) and isinstance(entry.get("replicas"), int | float)
    }


def scaled_replicas(body: Mapping[str, Any]) -> dict[str, int]:
    return {w: int(entry["replicas"]) for w, entry in scaling_decisions(body).items()}


async def reconcile(
    children: Children,
    body: Mapping[str, Any],
    *,
    scaled: Mapping[str, int] | None = None,
) -> list[str]:
    """Bring the children in line with the spec; returns the names of pruned leftovers."""
    owner = owner_of(body)
    try:
        spec = parse_spec(body)
    except InvalidSpecError as exc:
        await report_failure(children, body, str(exc))
        raise
    if spec.paused:
        await refresh_status(children, body, spec)
        return []
    prometheus = await children.prometheus_operator_installed(owner.namespace)
    rendered = render_children(
        owner,
        spec,
        prometheus_operator=prometheus,
        scaled=scaled if scaled is not None else scaled_replicas(body),
    )
    current = ""
    try:
        for child in rendered:
            current = f"{child['kind']}/{child['metadata']['name']}"
            await children.apply(child)
        current = "pruning"
        removed = await children.prune(owner, rendered, prometheus=prometheus)
    except ApiError as exc:
        message = f"{current}: {exc.status.message}"
        await refresh_status(children, body, spec, error=message)
        raise ApplyError(message) from exc
    await refresh_status(children, body, spec)
    return removed


async def refresh_status(
    children: Children,
    body: Mapping[str, Any],
    spec: OrderPipelineSpec,
    *,
    error: str | None = None,
    keep_reported: bool = False,
) -> dict[str, Any]:
    """Recompute the status from the Deployments and write it when it changed.

    Read from the API server, not from `body` (kopf's copy may be older), and written only over
    the version read: a writer that read an older pipeline (a debounced refresh racing a
    reconcile) gets 409 Conflict, reads again and recomputes, so an older view never overwrites
    a newer status. `keep_reported`: the failure the last reconcile wrote stays (a refresh after
    a Deployment event), else `error` is the verdict. After STATUS_ATTEMPTS conflicts in a row the
    ApiError is raised (kopf retries a reconcile; a refresh is logged and dropped).
    """
    owner = owner_of(body)
    attempt = 0
    while True:
        attempt += 1
        current = await children.pipeline(owner.name, owner.namespace) or body
        previous = current.get("status") or {}
        status = compute_status(
            spec=spec,
            name=owner.name,
            generation=int(current["metadata"].get("generation", 1)),
            observed=await children.observe(owner),
            previous_conditions=previous.get("conditions") or [],
            now=datetime.now(UTC),
            error=reported_error(current) if keep_reported else error,
        )
        if not _differs(previous, status):
            return status
        try:
            await children.report(
                owner.name,
                owner.namespace,
                status,
                resource_version=current["metadata"].get("resourceVersion"),
            )
        except ApiError as exc:
            if exc.status.code != CONFLICT or attempt == STATUS_ATTEMPTS:
                raise
            continue
        return status


async def report_failure(children: Children, body: Mapping[str, Any], message: str) -> None:
    """A status for a spec the operator cannot even read: Failed, and why."""
    meta = body["metadata"]
    previous = body.get("status") or {}
    status = invalid_spec_status(
        message=message,
        generation=int(meta.get("generation", 1)),
        previous_conditions=previous.get("conditions") or [],
        now=datetime.now(UTC),
    )
    if _differs(previous, status):
        await children.report(meta["name"], meta["namespace"], status)


def reported_error(body: Mapping[str, Any]) -> str | None:
    """The failure the last reconcile wrote into the status, if the status still says Failed."""
    status = body.get("status") or {}
    if status.get("phase") != "Failed":
        return None
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Degraded" and condition.get("status") == "True":
            return str(condition.get("message") or "failed")
    return "failed"


def _differs(previous: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    return any(previous.get(key) != value for key, value in status.items())
