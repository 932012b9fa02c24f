"""One round of lag-based scaling for a pipeline: which workloads, what to record, what changed.

A pure function over the spec, the lag just read per workload, the decisions recorded so far (the
`conveyor.dev/scaled` annotation: `{"<workload>": {"replicas": n, "at": unix seconds}}`) and the
clock; the kopf timer reads lag, calls it, and writes what it returns.

- Only workloads whose autoscaling metric is `kafkaLag` scale on lag, and none while the pipeline
  is paused or names no Kafka.
- A workload with no record starts from its lower bound; each is decided by `decide_replicas`
  (up at once, down one step after the cool-down since its recorded time).
- A workload gets a new record (replicas, now) when its count changes or when it had none, so
  the cool-down clock starts at the first observation; an unchanged count keeps its old time.
- A workload whose lag could not be read this round is left as recorded (not decided at all).
- Records of workloads that no longer scale on lag are kept as they are.
- Nothing is returned (nothing to write) when no count changed and every lag-scaled workload
  already had a record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from operators.pipeline.autoscaling import decide_replicas
from operators.pipeline.spec import Autoscaling, OrderPipelineSpec

Records = Mapping[str, Mapping[str, float]]  # workload -> {"replicas": n, "at": unix seconds}


@dataclass(frozen=True)
class LagScaling:
    """What one round decided: every record to keep, and the changes to announce."""

    records: dict[str, dict[str, float]]
    changes: tuple[str, ...] = field(default=())

    @property
    def replicas(self) -> dict[str, int]:
        """Replicas per recorded workload, as rendering takes them."""
        return {name: int(entry["replicas"]) for name, entry in self.records.items()}

    def annotation(self) -> str:
        """The records as the `conveyor.dev/scaled` annotation's value."""
        return json.dumps(self.records, sort_keys=True)


def lag_scaled(spec: OrderPipelineSpec) -> dict[str, Autoscaling]:
    """The workloads that scale on Kafka lag now, with their policies (none while paused)."""
    if spec.paused or spec.kafka is None:
        return {}
    return {
        name: w.autoscaling
        for name, w in spec.workloads.items()
        if w.autoscaling is not None and w.autoscaling.metric == "kafkaLag"
    }


def scale_on_lag(
    spec: OrderPipelineSpec, *, lags: Mapping[str, int], recorded: Records, now: float
) -> LagScaling | None:
    """Decide every lag-scaled workload whose lag was read (see the module docstring)."""
    policies = lag_scaled(spec)
    records = {name: dict(entry) for name, entry in recorded.items()}
    changes: list[str] = []
    for name, policy in sorted(policies.items()):
        if name not in lags:
            continue  # unreadable this round: left as recorded
        bounds = spec.bounds(name)
        previous = recorded.get(name)
        current = int(previous["replicas"]) if previous else bounds[0]
        decision = decide_replicas(
            current=current,
            lag=lags[name],
            bounds=bounds,
            lag_threshold=policy.lag_threshold,
            cooldown_s=policy.cooldown_seconds,
            last_scaled_at=previous["at"] if previous else None,
            now=now,
        )
        if decision.changes(current) or previous is None:
            records[name] = {"replicas": decision.replicas, "at": now}
        if decision.changes(current):
            changes.append(
                f"{name} {current}→{decision.replicas} ({decision.reason}, lag {lags[name]}, "
                f"threshold {policy.lag_threshold})"
            )
    if not changes and all(name in recorded for name in policies):
        return None
    return LagScaling(records, tuple(changes))
