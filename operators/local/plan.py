"""The OrderPipeline spec as the local runner reads it: what runs, how many, with which settings.

`conveyor local up` reads one OrderPipeline file (operators/examples/local.yaml by default) with
the operator's own model (operators/pipeline/spec.py), so a file a cluster refuses is refused here
with the same message naming the field. From it, pure functions derive:

- the plan (`plan`): the workloads to run — only those with a runnable module in the catalogue;
  a catalogue-only workload (gateway, identity, …) is listed in `skipped` and reported, not
  started — their replicas (fixed `replicas`, or the autoscaling minimum, after scale units) and
  their ports (replica i on `port + 100 * i`);
- each workload's environment (`environment`): exactly the variables the operator writes into
  the workload's ConfigMap (operators/pipeline/pods.py `workload_env`, resiliency JSON included),
  bound to loopback, with the local stack's connection settings in place of the Secret
  references (DATABASE_URL, REDIS_URL, ADMIN_TOKEN, SIGNING_KEY_PASSPHRASE) and of the spec's
  Kafka address; payment is also given the fake card provider's address (PAYMENT_PROVIDER_URL),
  a third party the spec does not describe.

The plan is the *initial* desired state: `up` writes it to `.local/run/pipeline.json` and resets
`desired.json` from it; `scale`, `hold`, `release` and feature-flag overrides then change
`desired.json` only, and `reset` returns to the plan. A paused pipeline starts no workloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from operators.pipeline import flags, pods, topology
from operators.pipeline.spec import OrderPipeline, OrderPipelineSpec, load
from workloads.catalogue import BY_NAME

MAX_REPLICAS = 10  # replica i listens on port + 100 * i: ten fit between the workloads' ports
PORT_STRIDE = 100


class PipelineError(ValueError):
    """The pipeline file cannot be run locally; the message names the file and the field."""


@dataclass(frozen=True)
class LocalWorkload:
    name: str
    module: str  # `python -m <module>`
    port: int  # replica 0; replica i on port + PORT_STRIDE * i
    replicas: int

    def port_of(self, replica: int) -> int:
        return self.port + PORT_STRIDE * replica


@dataclass(frozen=True)
class LocalPlan:
    source: str
    paused: bool
    workloads: tuple[LocalWorkload, ...]
    skipped: tuple[str, ...] = ()  # in the spec, but nothing runnable in the catalogue

    def get(self, name: str) -> LocalWorkload | None:
        return next((w for w in self.workloads if w.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "paused": self.paused,
            "skipped": list(self.skipped),
            "workloads": [vars(w) for w in self.workloads],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LocalPlan:
        return cls(
            source=data["source"],
            paused=data["paused"],
            workloads=tuple(LocalWorkload(**w) for w in data["workloads"]),
            skipped=tuple(data.get("skipped", ())),
        )


@dataclass(frozen=True)
class Connections:
    """How the local stack is reached: these take the place of the spec's Secret references."""

    host: str
    kafka_bootstrap_servers: str
    database_urls: Mapping[str, str]  # by workload
    redis_url: str
    admin_token: str
    payment_provider_url: str | None = None  # the fake card provider the payment service calls
    otlp_endpoint: str | None = None  # the local collector every service sends its spans to
    upstream_registry: str | None = None  # the runner's replica list the gateway reads (ADR 0034)
    flags_file: str | None = None  # the runner's copy of the pipeline's flags (flags_file.py)
    signing_key_passphrase: str | None = None  # identity's signing keys, encrypted at rest

    def secrets(self, workload: str) -> dict[str, str]:
        """The secret variables the local stack can supply, by variable name."""
        supplied = {"REDIS_URL": self.redis_url, "ADMIN_TOKEN": self.admin_token}
        if self.signing_key_passphrase is not None:
            supplied["SIGNING_KEY_PASSPHRASE"] = self.signing_key_passphrase
        if workload in self.database_urls:
            supplied["DATABASE_URL"] = self.database_urls[workload]
        return supplied


def read(path: Path) -> OrderPipeline:
    """Load and validate the pipeline file; every failure becomes one PipelineError."""
    try:
        return load(path)
    except FileNotFoundError as exc:
        raise PipelineError(f"{path}: no such pipeline file") from exc
    except yaml.YAMLError as exc:
        raise PipelineError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(document)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise PipelineError(f"{path}: invalid OrderPipeline: {problems}") from exc
    except ValueError as exc:
        raise PipelineError(str(exc)) from exc


def plan(pipeline: OrderPipeline, *, source: str) -> LocalPlan:
    """Which workloads run locally, how many and where (see the module docstring)."""
    spec = pipeline.spec
    if spec.kafka is not None and spec.kafka.auth_secret_ref is not None:
        raise PipelineError(
            f"{source}: spec.kafka.authSecretRef: the local Kafka has no authentication; "
            "leave it out of a pipeline for the laptop"
        )
    workloads: list[LocalWorkload] = []
    skipped: list[str] = []
    for name in sorted(spec.workloads):
        module = BY_NAME[name].module
        if module is None:
            skipped.append(name)
            continue
        replicas = spec.bounds(name)[0]
        if replicas > MAX_REPLICAS:
            field = "replicas" if spec.workloads[name].replicas is not None else "autoscaling"
            raise PipelineError(
                f"{source}: spec.workloads.{name}.{field}: {replicas} replicas (after "
                f"spec.replicas scale units) is more than the local runner's {MAX_REPLICAS}"
            )
        workloads.append(LocalWorkload(name, module, spec.workloads[name].port, replicas))
    _check_ports(workloads, source)
    return LocalPlan(source, spec.paused, tuple(workloads), tuple(skipped))


def _check_ports(workloads: list[LocalWorkload], source: str) -> None:
    """Every replica a workload may scale to needs its own port."""
    owner: dict[int, str] = {}
    for workload in workloads:
        for replica in range(MAX_REPLICAS):
            port = workload.port_of(replica)
            if port in owner:
                raise PipelineError(
                    f"{source}: spec.workloads.{workload.name}.port: replica {replica} would "
                    f"listen on {port}, which {owner[port]} uses; local replicas take "
                    f"port + {PORT_STRIDE} * replica"
                )
            owner[port] = workload.name


def environment(spec: OrderPipelineSpec, workload: str, stack: Connections) -> dict[str, str]:
    """The workload's variables: its ConfigMap's data on loopback, plus the stack's secrets."""
    env = pods.workload_env(
        spec,
        workload,
        http_host=stack.host,
        callee_url=lambda _callee, port: f"http://{stack.host}:{port}",
    )
    if "KAFKA_BOOTSTRAP_SERVERS" in env:
        env["KAFKA_BOOTSTRAP_SERVERS"] = stack.kafka_bootstrap_servers
    if workload == "payment" and stack.payment_provider_url:
        env["PAYMENT_PROVIDER_URL"] = stack.payment_provider_url  # a third party, not in the spec
    if stack.otlp_endpoint:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = stack.otlp_endpoint
    if stack.upstream_registry and topology.callees(workload, frozenset(spec.workloads)):
        env["UPSTREAM_REGISTRY"] = stack.upstream_registry  # every replica, not only replica 0
    if stack.flags_file:
        env[flags.FLAGS_ENV] = stack.flags_file  # in place of the pod's mounted ConfigMap
    supplied = stack.secrets(workload)
    for name in pods.secret_refs(spec, workload):
        if name not in supplied:
            raise PipelineError(
                f"spec.workloads.{workload}.secretEnv.{name}: the local stack has no value for "
                f"it; it supplies {sorted(supplied)}"
            )
        env[name] = supplied[name]
    return dict(sorted(env.items()))
