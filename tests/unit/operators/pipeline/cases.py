"""Specs that only the CRD's CEL rules (and the model's validators) refuse: one per rule.

Each case mutates the local example; each result is still valid against the plain OpenAPI schema,
so the refusal can only come from a cross-field rule. The unit tests feed them to the pydantic
model; the integration tests can feed the same cases to the real API server and match `message`
against its answer (the message names the field, in both).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Spec = dict[str, Any]


@dataclass(frozen=True)
class InvalidCase:
    id: str
    mutate: Callable[[Spec], None]
    message: str  # a fragment both the CRD's and the model's message contain
    # False: only the model (the operator) can refuse it. CEL cannot read flagd's free-form
    # variants (their values have no declared type, so the API server drops the field from CEL).
    cel: bool = True

    def apply(self, resource: dict[str, Any]) -> dict[str, Any]:
        broken = copy.deepcopy(resource)
        self.mutate(broken["spec"])
        return broken


def _set(path: str, value: Any) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        *parents, last = path.split(".")
        node = spec
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        *parents, last = path.split(".")
        node = spec
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _without(workload: str) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        spec["workloads"].pop(workload, None)

    return mutate


def _both(*steps: Callable[[Spec], None]) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        for step in steps:
            step(spec)

    return mutate


INVALID_CASES: tuple[InvalidCase, ...] = (
    InvalidCase(
        "min-above-max",
        _both(
            _delete("workloads.order.replicas"),
            _set("workloads.order.autoscaling", {"minReplicas": 5, "maxReplicas": 2}),
        ),
        "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas",
    ),
    InvalidCase(
        "replicas-and-autoscaling",
        _set("workloads.order.autoscaling", {"minReplicas": 1, "maxReplicas": 2}),
        "exactly one of replicas or autoscaling must be set",
    ),
    InvalidCase(
        "neither-replicas-nor-autoscaling",
        _delete("workloads.order.replicas"),
        "exactly one of replicas or autoscaling must be set",
    ),
    InvalidCase(
        "unknown-workload",
        _set("workloads.billing", {"image": "conveyor/billing:dev", "replicas": 1}),
        "catalogue",
    ),
    InvalidCase(
        "lag-scaling-on-a-non-consumer",
        _set(
            "workloads.gateway",
            {
                "image": "conveyor/gateway:dev",
                "autoscaling": {"minReplicas": 1, "maxReplicas": 2, "metric": "kafkaLag"},
            },
        ),
        "kafkaLag needs a Kafka consumer workload",
    ),
    InvalidCase("postgres-missing", _delete("postgres"), "postgres must be set"),
    InvalidCase("kafka-missing", _delete("kafka"), "kafka must be set"),
    InvalidCase(
        "redis-missing-for-gateway",
        _both(
            _delete("redis"),
            _set("workloads.gateway", {"image": "conveyor/gateway:dev", "replicas": 1}),
        ),
        "redis must be set",
    ),
    InvalidCase(
        "reserved-env",
        _set("workloads.order.env", {"DATABASE_URL": "postgresql://x"}),
        "may not set",
    ),
    InvalidCase(
        "env-and-secret-env-share-a-name",
        _set("workloads.inventory.env", {"ADMIN_TOKEN": "1"}),  # a secretEnv of inventory
        "must not share names",
    ),
    InvalidCase(
        "requests-above-limits",
        _set(
            "workloads.order.resources",
            {
                "requests": {"cpu": "2", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "1Gi"},
            },
        ),
        "resources.requests must not exceed resources.limits",
    ),
    InvalidCase(
        "isr-above-replication",
        _set("kafka.topics", {"replicationFactor": 1, "minInsyncReplicas": 2}),
        "kafka.topics.minInsyncReplicas must be less than or equal to",
    ),
    InvalidCase(
        "rollout-cannot-progress",
        _set("rollout", {"maxSurge": 0, "maxUnavailable": "0%"}),
        "rollout.maxSurge and rollout.maxUnavailable must not both be 0",
    ),
    InvalidCase(
        "shutdown-delay-not-below-grace",
        _set("rollout", {"terminationGracePeriodSeconds": 10, "shutdownDelaySeconds": 10}),
        "rollout.shutdownDelaySeconds must be less than",
    ),
    InvalidCase(
        "retry-intervals-reversed",
        _set(
            "resiliency.policies.retries.standard",
            {"initialInterval": "10s", "maxInterval": "1s"},
        ),
        "initialInterval must not exceed maxInterval",
    ),
    InvalidCase(
        "target-names-undefined-timeout",
        _set("resiliency.targets.kafka", {"timeout": "nope"}),
        "must name a policy in policies.timeouts",
    ),
    InvalidCase(
        "target-names-undefined-retry",
        _set("resiliency.targets.kafka", {"retry": "nope"}),
        "must name a policy in policies.retries",
    ),
    InvalidCase(
        "target-names-undefined-breaker",
        _set("resiliency.targets.kafka", {"circuitBreaker": "nope"}),
        "must name a policy in policies.circuitBreakers",
    ),
    InvalidCase(
        "target-is-neither-workload-nor-component",
        _both(_without("identity"), _set("resiliency.targets.identity", {"retry": "standard"})),
        "resiliency.targets",
    ),
    InvalidCase(
        "failure-injection-in-production",
        _both(
            _set("environment", "production"),
            _set("workloads.payment.env", {"FAULT_FAIL_EVENT_TYPES": "PaymentRequested"}),
        ),
        "a production pipeline refuses failure injection",
    ),
    InvalidCase(
        "failure-flag-in-production",
        _both(
            _set("environment", "production"),
            _set(
                "flags",
                {"fault.inventory.error-rate": {"variants": {"a": 1.0}, "defaultVariant": "a"}},
            ),
        ),
        "a production pipeline refuses failure injection",
    ),
    InvalidCase(
        "flag-default-variant-missing",
        _set("flags", {"rollout.x.y": {"variants": {"a": True}, "defaultVariant": "b"}}),
        "defaultVariant",
        cel=False,
    ),
    InvalidCase(
        "identity-without-its-signing-passphrase",
        _delete("workloads.identity.secretEnv.SIGNING_KEY_PASSPHRASE"),
        "secretEnv must name a Secret key for",
    ),
    InvalidCase(
        "slo-for-a-missing-workload",
        _both(_without("identity"), _set("slo.workloads", {"identity": {"availability": 99.0}})),
        "slo.workloads",
    ),
    *(
        InvalidCase(
            f"pod-cidr-{name}",
            _set("network", {"podCIDRs": ["10.0.0.0/16", cidr]}),
            "must be a CIDR in 10.0.0.0/8",
        )
        for name, cidr in (
            ("everyone", "0.0.0.0/0"),
            ("everyone-v6", "::/0"),
            ("public", "8.8.8.0/24"),
            ("wider-than-private", "10.0.0.0/7"),
            ("wide-v6", "fd00::/8"),
            ("host-bits-set", "10.0.0.1/16"),
            ("not-a-cidr", "gateway"),
        )
    ),
    *(
        InvalidCase(
            f"trusted-proxies-env-{name}",
            _set("workloads.identity.env", {"TRUSTED_PROXIES": value}),
            "env.TRUSTED_PROXIES entries must be CIDRs",
        )
        for name, value in (
            ("everyone", "127.0.0.1/32, 0.0.0.0/0"),
            ("everyone-v6", "::/0"),
            ("public", "10.0.0.0/16,8.8.8.0/24"),
            ("wider-than-loopback", "127.0.0.0/7"),
            ("no-prefix", "127.0.0.1"),
            ("not-an-address", "gateway/32"),
            ("too-many", ",".join(f"10.0.{i}.0/24" for i in range(9))),
        )
    ),
)
SERVER_CASES: tuple[InvalidCase, ...] = tuple(c for c in INVALID_CASES if c.cel)
