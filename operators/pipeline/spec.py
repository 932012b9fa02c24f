"""The OrderPipeline spec as typed, validated data: the one model the operator and the runner read.

Attributes are snake_case; YAML/JSON keys are camelCase (aliases), exactly as in the CRD
(operators/crds/orderpipelines.conveyor.dev.yaml). Unknown keys are refused (`extra="forbid"`),
defaults equal the CRD's `default`s, and every cross-field rule the CRD states in CEL
(`x-kubernetes-validations`) is repeated here with the same meaning, so a spec that the API server
accepts is a spec this model accepts, and a laptop (`conveyor local up`) refuses what a cluster
refuses. tests/operator_unit check both directions on the examples and on each broken case.

Scale units: `spec.replicas` is the pipeline's scale subresource (an HPA or KEDA may drive the
whole pipeline). It multiplies every workload's fixed `replicas` and both autoscaling bounds; the
default 1 leaves the numbers as written. `bounds()` applies it; nothing else should.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

from operators.pipeline import topology
from operators.pipeline.proxies import TRUSTED_PROXIES_ENV, NetworkSpec, trusted_proxies_env
from operators.pipeline.tracing import TracingSpec
from operators.pipeline.units import (
    DURATION_PATTERN,
    PERCENT_PATTERN,
    QUANTITY_PATTERN,
    duration_seconds,
    is_zero,
    quantity_value,
)
from workloads.shared.flags import names as flag_names
from workloads.shared.flags.document import Flag, FlagKey, FlagsDocument

API_GROUP = "conveyor.dev"
API_VERSION = f"{API_GROUP}/v1alpha1"
KIND = "OrderPipeline"

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
DATA_KEY = r"^[-._a-zA-Z0-9]+$"
IMAGE = r"^[a-z0-9]+([._/:@-][a-zA-Z0-9_.-]+)*$"

DnsName = Annotated[str, StringConstraints(pattern=DNS_LABEL, max_length=63)]
EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME, max_length=128)]
EnvValue = Annotated[str, StringConstraints(max_length=4096)]
Duration = Annotated[str, StringConstraints(pattern=DURATION_PATTERN, max_length=32)]
Quantity = Annotated[str, StringConstraints(pattern=QUANTITY_PATTERN, max_length=32)]
Percent = Annotated[str, StringConstraints(pattern=PERCENT_PATTERN)]
IntOrPercent = Annotated[int, Field(ge=0, le=100)] | Percent

# Failure injection: the `fault.*` flags of `spec.flags` (workloads/shared/flags/names.py) and
# the e2e suite's test hooks (FAULT_* and CONVEYOR_TEST_HOOKS in env or secretEnv, ADR 0020). A
# production pipeline refuses every one of them unless `allowFailureInjection` is true.
FAILURE_INJECTION_PREFIX = "FAULT_"
FAILURE_INJECTION_ENV: tuple[str, ...] = ("CONVEYOR_TEST_HOOKS",)
FAILURE_INJECTION_REFUSED = (
    "a production pipeline refuses failure injection (fault.* flags; FAULT_* or "
    "CONVEYOR_TEST_HOOKS in env or secretEnv) unless allowFailureInjection is true"
)


def injects_failures(name: str) -> bool:
    """Whether an environment variable of a workload switches failure injection on."""
    return name.startswith(FAILURE_INJECTION_PREFIX) or name in FAILURE_INJECTION_ENV


# Environment the operator sets itself (connections, identity); a spec may not override them.
# The catalogue's `secrets` (ADR 0039); the CRD's CEL rule says the same, with this fragment.
SECRETS_REQUIRED = "secretEnv must name a Secret key for"
RESERVED_ENV: tuple[str, ...] = (
    "DATABASE_URL", "HTTP_HOST", "HTTP_PORT", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SASL_PASSWORD",
    "KAFKA_SASL_USERNAME", "KAFKA_SECURITY_PROTOCOL", "REDIS_URL", "REPLICA", "SERVICE_NAME",
    "CONVEYOR_RESILIENCY",
)  # fmt: skip


class _Model(BaseModel):
    """camelCase on the wire, snake_case in Python, nothing unknown, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,  # as the API server: "3" is not a number, true is not a string
    )

    def wire(self) -> dict[str, Any]:
        """The camelCase form, as it appears in a manifest (defaults included)."""
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


class SecretRef(_Model):
    name: DnsName


class SecretKeyRef(_Model):
    name: DnsName
    key: Annotated[str, StringConstraints(pattern=DATA_KEY, max_length=253)]


class ResourceAmounts(_Model):
    cpu: Quantity
    memory: Quantity


class Resources(_Model):
    requests: ResourceAmounts = ResourceAmounts(cpu="100m", memory="128Mi")
    limits: ResourceAmounts = ResourceAmounts(cpu="500m", memory="256Mi")

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        for field in ("cpu", "memory"):
            request = quantity_value(getattr(self.requests, field))
            if request > quantity_value(getattr(self.limits, field)):
                raise ValueError(f"resources.requests must not exceed resources.limits ({field})")
        return self


class Autoscaling(_Model):
    min_replicas: int = Field(ge=1, le=100)
    max_replicas: int = Field(ge=1, le=100)
    metric: Literal["cpu", "kafkaLag"] = "cpu"
    target_cpu_utilization: int = Field(default=70, ge=1, le=100, alias="targetCPUUtilization")
    lag_threshold: int = Field(default=1000, ge=1, le=10_000_000)
    cooldown_seconds: int = Field(default=300, ge=0, le=3600)

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas"
            )
        return self


class WorkloadSpec(_Model):
    """One workload: either a fixed `replicas` or `autoscaling` bounds, never both."""

    image: Annotated[str, StringConstraints(pattern=IMAGE, max_length=255)]
    # Always: the registry re-checks the pull credentials for every pod, and a moved tag is seen.
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "Always"
    replicas: int | None = Field(default=None, ge=0, le=100)
    autoscaling: Autoscaling | None = None
    # Unprivileged containers cannot bind below 1024.
    port: int = Field(default=8080, ge=1024, le=65535)
    resources: Resources = Resources()
    env: dict[EnvName, EnvValue] = Field(default_factory=dict, max_length=64)
    secret_env: dict[EnvName, SecretKeyRef] = Field(default_factory=dict, max_length=32)
    # Accept HTTP from anywhere (the edge); otherwise only the gateway and Prometheus may call it.
    exposed: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> WorkloadSpec:
        if (self.replicas is None) == (self.autoscaling is None):
            raise ValueError("exactly one of replicas or autoscaling must be set")
        for field, names in (("env", self.env), ("secretEnv", self.secret_env)):
            reserved = sorted(set(names) & set(RESERVED_ENV))
            if reserved:
                raise ValueError(f"{field} may not set {reserved}: the operator sets them")
        if set(self.env) & set(self.secret_env):
            raise ValueError("env and secretEnv must not share names")
        if TRUSTED_PROXIES_ENV in self.env:
            trusted_proxies_env(self.env[TRUSTED_PROXIES_ENV])
        return self

    def failure_injection(self) -> list[str]:
        """`field.NAME` for each variable that injects failures, e.g. `env.FAULT_X`."""
        return [
            f"{field}.{name}"
            for field, names in (("env", self.env), ("secretEnv", self.secret_env))
            for name in sorted(names)
            if injects_failures(name)
        ]


class TopicDefaults(_Model):
    # Durability of every topic, and a floor for event topics' partitions (pipeline/topics.py).
    partitions: int = Field(default=6, ge=1, le=1000)
    replication_factor: int = Field(default=3, ge=1, le=7)
    min_insync_replicas: int = Field(default=2, ge=1, le=7)

    @model_validator(mode="after")
    def _isr_within_replication(self) -> TopicDefaults:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                "kafka.topics.minInsyncReplicas must be less than or equal to "
                "kafka.topics.replicationFactor"
            )
        return self


BOOTSTRAP = r"^[a-z0-9.-]+:[0-9]{1,5}(,[a-z0-9.-]+:[0-9]{1,5})*$"


class KafkaSpec(_Model):
    bootstrap_servers: Annotated[str, StringConstraints(pattern=BOOTSTRAP, max_length=1024)]
    # Secret with `username` and `password` keys; SASL_SSL when set, plaintext otherwise.
    auth_secret_ref: SecretRef | None = None
    topics: TopicDefaults = TopicDefaults()

    def ports(self) -> tuple[int, ...]:
        """The broker ports, for NetworkPolicy egress."""
        return tuple(
            sorted({int(hp.rsplit(":", 1)[1]) for hp in self.bootstrap_servers.split(",")})
        )


class PostgresSpec(_Model):
    # One key per workload, named after it, holding that workload's DATABASE_URL.
    secret_ref: SecretRef
    # Its key holds MASTER_DATABASE_URL: then a Job bootstraps the owners (ADR 0046).
    master_secret_ref: SecretKeyRef | None = None
    port: int = Field(default=5432, ge=1, le=65535)


class RedisSpec(_Model):
    # `key` holds the REDIS_URL (with its password).
    secret_ref: SecretKeyRef
    port: int = Field(default=6379, ge=1, le=65535)


class SloOverride(_Model):
    availability: float | None = Field(default=None, ge=90, le=99.999)
    latency_p99_ms: int | None = Field(default=None, ge=1, le=60_000)


class SloSpec(_Model):
    """Targets for every workload, with optional per-workload overrides."""

    availability: float = Field(default=99.9, ge=90, le=99.999)  # percent of good requests
    latency_p99_ms: int = Field(default=500, ge=1, le=60_000)
    workloads: dict[str, SloOverride] = Field(default_factory=dict, max_length=16)

    def target(self, workload: str) -> tuple[float, int]:
        """(availability %, p99 latency ms) for one workload."""
        override = self.workloads.get(workload, SloOverride())
        return (
            self.availability if override.availability is None else override.availability,
            self.latency_p99_ms if override.latency_p99_ms is None else override.latency_p99_ms,
        )


class RolloutSpec(_Model):
    max_surge: IntOrPercent = "25%"
    max_unavailable: IntOrPercent = 0
    progress_deadline_seconds: int = Field(default=600, ge=10, le=3600)
    termination_grace_period_seconds: int = Field(default=30, ge=1, le=600)
    # After SIGTERM a pod serves this long with readiness 503 and `Connection: close` (its
    # SHUTDOWN_DRAIN_S): endpoints drop it and clients leave it before it stops (ADR 0056).
    shutdown_delay_seconds: int = Field(default=5, ge=0, le=120)

    @model_validator(mode="after")
    def _can_progress(self) -> RolloutSpec:
        if is_zero(self.max_surge) and is_zero(self.max_unavailable):
            raise ValueError("rollout.maxSurge and rollout.maxUnavailable must not both be 0")
        if self.shutdown_delay_seconds >= self.termination_grace_period_seconds:
            raise ValueError(
                "rollout.shutdownDelaySeconds must be less than "
                "rollout.terminationGracePeriodSeconds"
            )
        return self


class RetryPolicy(_Model):
    max_retries: int = Field(default=3, ge=0, le=100)
    backoff: Literal["exponential", "constant"] = "exponential"
    initial_interval: Duration = "100ms"
    max_interval: Duration = "10s"

    @model_validator(mode="after")
    def _interval_order(self) -> RetryPolicy:
        if duration_seconds(self.initial_interval) > duration_seconds(self.max_interval):
            raise ValueError("retry initialInterval must not exceed maxInterval")
        return self


class CircuitBreakerPolicy(_Model):
    max_consecutive_failures: int = Field(default=5, ge=1, le=1000)
    timeout: Duration = "30s"  # how long the breaker stays open before trying again
    half_open_requests: int = Field(default=1, ge=1, le=100)


PolicyName = Annotated[str, StringConstraints(pattern=DNS_LABEL, max_length=63)]


class Policies(_Model):
    timeouts: dict[PolicyName, Duration] = Field(default_factory=dict, max_length=32)
    retries: dict[PolicyName, RetryPolicy] = Field(default_factory=dict, max_length=32)
    circuit_breakers: dict[PolicyName, CircuitBreakerPolicy] = Field(
        default_factory=dict, max_length=32
    )


class TargetPolicies(_Model):
    timeout: PolicyName | None = None
    retry: PolicyName | None = None
    circuit_breaker: PolicyName | None = None


class ResiliencySpec(_Model):
    """Named policies and which target (a workload or a component) uses which, as in Dapr."""

    policies: Policies = Policies()
    targets: dict[str, TargetPolicies] = Field(default_factory=dict, max_length=16)

    @model_validator(mode="after")
    def _references_defined(self) -> ResiliencySpec:
        defined: dict[str, tuple[str, Mapping[str, object]]] = {
            "timeout": ("timeouts", self.policies.timeouts),
            "retry": ("retries", self.policies.retries),
            "circuitBreaker": ("circuitBreakers", self.policies.circuit_breakers),
        }
        for target, uses in sorted(self.targets.items()):
            for kind, name in (
                ("timeout", uses.timeout),
                ("retry", uses.retry),
                ("circuitBreaker", uses.circuit_breaker),
            ):
                field, policies = defined[kind]
                if name is not None and name not in policies:
                    raise ValueError(
                        f"resiliency.targets.{target}.{kind} {name!r} must name a policy in "
                        f"policies.{field}"
                    )
        return self


class MonitoringSpec(_Model):
    namespace: DnsName = "monitoring"  # where Prometheus runs (NetworkPolicy lets it scrape)
    scrape_interval: Duration = "30s"


class OrderPipelineSpec(_Model):
    paused: bool = False
    replicas: int = Field(default=1, ge=1, le=20)  # scale units, see the module docstring
    # Production by default, so a pipeline that forgets to say cannot inject failures.
    environment: Literal["development", "staging", "production"] = "production"
    allow_failure_injection: bool = False  # a deliberate game day in production
    # Feature flags and failure injection, in flagd's format: one file every pod reads at run time.
    flags: dict[FlagKey, Flag] = Field(default_factory=dict, max_length=256)
    workloads: dict[str, WorkloadSpec] = Field(min_length=1, max_length=16)
    kafka: KafkaSpec | None = None
    postgres: PostgresSpec | None = None
    redis: RedisSpec | None = None
    slo: SloSpec = SloSpec()
    rollout: RolloutSpec = RolloutSpec()
    resiliency: ResiliencySpec = ResiliencySpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    tracing: TracingSpec = TracingSpec()
    network: NetworkSpec = NetworkSpec()  # the pods' network: whose X-Forwarded-For identity reads

    @model_validator(mode="after")
    def _consistent(self) -> OrderPipelineSpec:
        names = set(self.workloads)
        unknown = sorted(names - set(topology.WORKLOAD_NAMES))
        if unknown:
            raise ValueError(
                f"workloads {unknown} are not in the catalogue {list(topology.WORKLOAD_NAMES)}"
            )
        for name, workload in sorted(self.workloads.items()):
            missing = topology.missing_secrets(name, frozenset(workload.secret_env))
            if missing:
                raise ValueError(f"workloads.{name}.{SECRETS_REQUIRED} {', '.join(missing)}")
            scaling = workload.autoscaling
            if scaling and scaling.metric == "kafkaLag" and name not in topology.KAFKA_CONSUMERS:
                raise ValueError(
                    f"workloads.{name}.autoscaling.metric kafkaLag needs a Kafka consumer "
                    f"workload, one of {sorted(topology.KAFKA_CONSUMERS)}"
                )
        needs = {
            "postgres": (self.postgres, topology.DATABASE_OWNERS),
            "kafka": (self.kafka, topology.KAFKA_CLIENTS),
            "redis": (self.redis, topology.REDIS_CLIENTS),
        }
        for component, (configured, users) in needs.items():
            if configured is None and names & users:
                raise ValueError(f"{component} must be set: {sorted(names & users)} use it")
        if self.environment == "production" and not self.allow_failure_injection:
            faults = sorted(key for key in self.flags if flag_names.injects_failures(key))
            if faults:
                raise ValueError(f"flags.{faults[0]}: {FAILURE_INJECTION_REFUSED}")
            for name, workload in sorted(self.workloads.items()):
                injected = workload.failure_injection()
                if injected:
                    raise ValueError(f"workloads.{name}.{injected[0]}: {FAILURE_INJECTION_REFUSED}")
        FlagsDocument(flags=dict(self.flags))  # known flags: their type and range
        stray = sorted(set(self.slo.workloads) - names)
        if stray:
            raise ValueError(f"slo.workloads names workloads not in the pipeline: {stray}")
        allowed = names | set(topology.COMPONENTS)
        stray = sorted(set(self.resiliency.targets) - allowed)
        if stray:
            raise ValueError(
                f"resiliency.targets names {stray}: neither a workload of the pipeline "
                f"nor one of {list(topology.COMPONENTS)}"
            )
        return self

    def bounds(self, workload: str) -> tuple[int, int]:
        """(min, max) replicas of a workload after scale units; equal for fixed replicas."""
        spec = self.workloads[workload]
        if spec.autoscaling is not None:
            return (
                spec.autoscaling.min_replicas * self.replicas,
                spec.autoscaling.max_replicas * self.replicas,
            )
        fixed = (spec.replicas or 0) * self.replicas
        return fixed, fixed


class Metadata(BaseModel):
    """The parts of object metadata the operator reads; server-set fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # Children are named `<name>-<workload>` and Services need DNS-1035 labels of <= 63 characters.
    name: Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$", max_length=40)]
    namespace: DnsName = "default"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class OrderPipeline(BaseModel):
    """A whole resource; tolerant of server fields (status, uid) so it can read live objects."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    api_version: Literal["conveyor.dev/v1alpha1"]
    kind: Literal["OrderPipeline"]
    metadata: Metadata
    spec: OrderPipelineSpec


def load(path: Path) -> OrderPipeline:
    """Read one OrderPipeline from a YAML file (the examples, `conveyor local up`)."""
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    if len(documents) != 1:
        raise ValueError(f"{path}: expected one OrderPipeline document, found {len(documents)}")
    return OrderPipeline.model_validate(documents[0])
