"""The OrderPipeline's status body, computed from what the cluster reports: a pure function.

Conditions follow the Kubernetes API conventions: `Ready`, `Progressing` and `Degraded`, each with
a CamelCase reason, a message naming the workloads concerned, its own `observedGeneration`, and
a `lastTransitionTime` that only moves when the condition's status flips (so `kubectl describe`
shows how long it has been so). The phase is one word over all of them, in priority order:
Failed (the last reconcile raised), Paused, Pending (no child exists yet), Degraded, Progressing,
Ready.

A workload is ready when its Deployment exists and has `desired` ready, updated and available
pods. It is degraded when its rollout exceeded the progress deadline, or when the pipeline was
Ready for this same generation and the workload lost pods without a rollout in progress (a crash
loop, a dead dependency). Anything else not ready is progressing: pods being created look the
same as pods failing until the deadline says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from operators.pipeline.objects import PART_OF
from operators.pipeline.spec import OrderPipelineSpec

CONDITION_TYPES = ("Ready", "Progressing", "Degraded")


@dataclass(frozen=True)
class WorkloadObservation:
    """A Deployment as read from the cluster (`exists=False` when it is not there)."""

    desired: int
    ready: int
    updated: int
    available: int
    exists: bool
    progress_deadline_exceeded: bool = False  # Progressing=False, reason ProgressDeadlineExceeded

    def rolled_out(self) -> bool:
        return self.exists and min(self.ready, self.updated, self.available) >= self.desired


MISSING = WorkloadObservation(desired=0, ready=0, updated=0, available=0, exists=False)


@dataclass(frozen=True)
class _Findings:
    """Which workloads are in which state (each list sorted by name)."""

    seen: Mapping[str, WorkloadObservation]
    missing: list[str]
    deadline: list[str]  # rollout exceeded its progress deadline
    unready: list[str]
    lost: list[str]  # were ready for this generation, lost pods without a rollout

    @property
    def degraded(self) -> list[str]:
        return sorted(set(self.deadline) | set(self.lost))

    def says(self, names: Sequence[str]) -> str:
        return ", ".join(f"{w} {_count(self.seen[w])}" for w in names)


def compute_status(
    *,
    spec: OrderPipelineSpec,
    name: str,
    generation: int,
    observed: Mapping[str, WorkloadObservation],
    previous_conditions: Sequence[Mapping[str, Any]],
    now: datetime,
    error: str | None = None,
) -> dict[str, Any]:
    """The whole `status` (the handler patches it as is; `name` is the pipeline's, for selector)."""
    workloads = sorted(spec.workloads)
    seen = {w: observed.get(w, MISSING) for w in workloads}
    unready = [w for w in workloads if not seen[w].rolled_out()]
    missing = [w for w in workloads if not seen[w].exists]
    rolling = {w for w in workloads if seen[w].exists and seen[w].updated < seen[w].desired}
    was_ready = _was_ready(previous_conditions, generation)
    found = _Findings(
        seen=seen,
        missing=missing,
        deadline=[w for w in workloads if seen[w].progress_deadline_exceeded],
        unready=unready,
        lost=[w for w in unready if was_ready and w not in missing and w not in rolling],
    )
    previous = {c.get("type"): c for c in previous_conditions}
    verdicts = (_ready(found, len(workloads)), _progressing(found, spec, error))
    conditions = [
        _condition(kind, value, previous.get(kind), generation, now)
        for kind, value in zip(CONDITION_TYPES, (*verdicts, _degraded(found, error)), strict=True)
    ]
    rows = [_row(w, seen[w], spec) for w in workloads]
    ready_total = sum(row["readyReplicas"] for row in rows)
    desired_total = sum(row["desiredReplicas"] for row in rows)
    return {
        "phase": _phase(found, spec, error, len(workloads)),
        "observedGeneration": generation,
        "conditions": conditions,
        "workloads": rows,
        "replicas": spec.replicas,
        "selector": f"app.kubernetes.io/instance={name},app.kubernetes.io/part-of={PART_OF}",
        "ready": f"{ready_total}/{desired_total}",
        "readyReplicas": ready_total,
        "desiredReplicas": desired_total,
    }


def invalid_spec_status(
    *,
    message: str,
    generation: int,
    previous_conditions: Sequence[Mapping[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """The status of a pipeline whose spec cannot be read: Failed, with the reason in every
    condition (the workloads cannot be judged against a spec the operator does not have)."""
    previous = {c.get("type"): c for c in previous_conditions}
    verdicts = {"Ready": "False", "Progressing": "False", "Degraded": "True"}
    conditions = [
        _condition(kind, (value, "InvalidSpec", message), previous.get(kind), generation, now)
        for kind, value in verdicts.items()
    ]
    return {"phase": "Failed", "observedGeneration": generation, "conditions": conditions}


def _phase(found: _Findings, spec: OrderPipelineSpec, error: str | None, total: int) -> str:
    if error is not None:
        return "Failed"
    if spec.paused:
        return "Paused"
    if len(found.missing) == total:
        return "Pending"
    if found.degraded:
        return "Degraded"
    return "Progressing" if found.unready else "Ready"


Verdict = tuple[str, str, str]  # status, reason, message


def _ready(found: _Findings, total: int) -> Verdict:
    if found.unready:
        return "False", "WorkloadsNotReady", f"not ready: {found.says(found.unready)}"
    return "True", "AllWorkloadsReady", f"{total} workloads ready"


def _progressing(found: _Findings, spec: OrderPipelineSpec, error: str | None) -> Verdict:
    if error is not None:
        return "False", "ReconcileFailed", error
    if spec.paused:
        return "False", "Paused", "spec.paused is true: nothing is applied"
    if found.deadline:
        return "False", "ProgressDeadlineExceeded", f"stuck: {found.says(found.deadline)}"
    if found.missing:
        return "True", "CreatingChildren", f"missing: {', '.join(found.missing)}"
    if found.unready and not found.degraded:
        return "True", "RolloutInProgress", f"rolling out: {found.says(found.unready)}"
    return "False", "RolloutComplete", "every workload is rolled out"


def _degraded(found: _Findings, error: str | None) -> Verdict:
    if error is not None:
        return "True", "ReconcileFailed", error
    if found.deadline:
        return "True", "ProgressDeadlineExceeded", f"stuck: {found.says(found.deadline)}"
    if found.lost:
        return "True", "ReplicasUnavailable", f"lost pods: {found.says(found.lost)}"
    return "False", "AsExpected", "no workload is degraded"


def _was_ready(previous: Sequence[Mapping[str, Any]], generation: int) -> bool:
    return any(
        c.get("type") == "Ready"
        and c.get("status") == "True"
        and c.get("observedGeneration") == generation
        for c in previous
    )


def _count(seen: WorkloadObservation) -> str:
    return f"{seen.ready}/{seen.desired}" if seen.exists else "(missing)"


def _row(workload: str, seen: WorkloadObservation, spec: OrderPipelineSpec) -> dict[str, Any]:
    desired = seen.desired if seen.exists else spec.bounds(workload)[0]
    return {
        "name": workload,
        "desiredReplicas": desired,
        "readyReplicas": seen.ready,
        "updatedReplicas": seen.updated,
        "availableReplicas": seen.available,
    }


def _condition(
    kind: str,
    value: tuple[str, str, str],
    previous: Mapping[str, Any] | None,
    generation: int,
    now: datetime,
) -> dict[str, Any]:
    status, reason, message = value
    unchanged = previous is not None and previous.get("status") == status
    since = (
        str(previous["lastTransitionTime"])
        if unchanged and previous is not None and previous.get("lastTransitionTime")
        else _timestamp(now)
    )
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
        "observedGeneration": generation,
    }


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
