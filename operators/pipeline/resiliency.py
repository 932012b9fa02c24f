"""The resiliency policies one workload applies, resolved from the spec's names into values.

The spec declares named policies and which target uses which (Dapr's shape). A workload needs
only the targets it calls: the components it uses (kafka, postgres, redis) and, for the gateway,
the workloads behind it. The result is written as JSON into the workload's ConfigMap under
CONVEYOR_RESILIENCY, so the services read concrete numbers and never resolve names themselves;
changing a policy is `kubectl apply`, which changes the ConfigMap, which rolls the pods.
"""

from __future__ import annotations

import json
from typing import Any

from operators.pipeline import topology
from operators.pipeline.spec import OrderPipelineSpec
from operators.pipeline.units import duration_seconds

ENV_KEY = "CONVEYOR_RESILIENCY"


def targets_of(spec: OrderPipelineSpec, workload: str) -> tuple[str, ...]:
    """What `workload` calls: HTTP callees first, then components, each in a stable order."""
    present = frozenset(spec.workloads)
    return topology.callees(workload, present) + topology.components(workload)


def resolve(spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    """`{"targets": {target: {"timeout": ..., "retry": ..., "circuitBreaker": ...}}}`."""
    policies = spec.resiliency.policies
    resolved: dict[str, Any] = {}
    for target in targets_of(spec, workload):
        uses = spec.resiliency.targets.get(target)
        if uses is None:
            continue
        entry: dict[str, Any] = {}
        if uses.timeout is not None:
            duration = policies.timeouts[uses.timeout]
            entry["timeout"] = {
                "policy": uses.timeout,
                "duration": duration,
                "seconds": duration_seconds(duration),
            }
        if uses.retry is not None:
            retry = policies.retries[uses.retry]
            entry["retry"] = {
                "policy": uses.retry,
                **retry.wire(),
                "initialIntervalSeconds": duration_seconds(retry.initial_interval),
                "maxIntervalSeconds": duration_seconds(retry.max_interval),
            }
        if uses.circuit_breaker is not None:
            breaker = policies.circuit_breakers[uses.circuit_breaker]
            entry["circuitBreaker"] = {
                "policy": uses.circuit_breaker,
                **breaker.wire(),
                "timeoutSeconds": duration_seconds(breaker.timeout),
            }
        resolved[target] = entry
    return {"targets": resolved}


def as_env_value(spec: OrderPipelineSpec, workload: str) -> str:
    """Compact, key-sorted JSON: the same spec always gives the same bytes (and config hash)."""
    return json.dumps(resolve(spec, workload), sort_keys=True, separators=(",", ":"))
