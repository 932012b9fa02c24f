"""The resiliency policies a service applies, as its OrderPipeline resolved them.

The operator (and the local runner, from the same spec) puts one JSON document in the
`CONVEYOR_RESILIENCY` variable: `{"targets": {target: {"timeout": …, "retry": …,
"circuitBreaker": …}}}`, one entry per thing the service calls (`kafka`, `postgres`, `redis` or,
for the gateway, a workload), names already resolved to numbers (durations also in seconds). That
JSON shape is the whole contract: the workloads never import the operator, and tests/unit checks
that what the operator renders for the examples parses here without losing a key.

What the shared code applies today (ServiceSettings.resiliency, read in runtime.py):
- `kafka.retry` → the consumer's retry before a message goes to the DLQ (consumer.RetryPolicy):
  attempts, exponential (jittered) or constant backoff, initial and maximum interval;
- `kafka.timeout` → the producer's request timeout;
- `postgres.timeout` → the pool's per-call timeout and the server's statement timeout.
- `redis.timeout` → the catalog's Redis socket timeout, and `redis.circuitBreaker` → the breaker
  around its cache (`breaker.py`, `cache_aside.py`; ADR 0031).
Parsed but not applied yet: `postgres.retry` (database calls run inside a consumer's retried
handler or an HTTP request whose client decides) and the other `circuitBreaker`s (no other call
site calls a target the spec can name: the simulated payment provider is not a target).

Absent variable, or a target without a policy: today's built-in behaviour, unchanged. Unknown
keys are ignored, so an operator that renders a new optional field never breaks older services.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class Timeout(_Wire):
    policy: str
    duration: str
    seconds: float = Field(gt=0)


class Retry(_Wire):
    policy: str
    # Deliveries that may fail before giving up, counting the first (see `attempts`).
    max_retries: int = Field(ge=0)
    backoff: Literal["exponential", "constant"]
    initial_interval: str
    max_interval: str
    initial_interval_seconds: float = Field(ge=0)
    max_interval_seconds: float = Field(ge=0)

    @property
    def attempts(self) -> int:
        """How many times a message is tried before the DLQ.

        `maxRetries: 3` means three tries, as the consumer's "a message that fails 3 times
        goes to the DLQ" and the CRD's default 3 intend; 0 and 1 both mean one try. (Dapr counts
        retries after the first try instead; see docs/adr/0013.)
        """
        return max(self.max_retries, 1)


class CircuitBreaker(_Wire):
    policy: str
    max_consecutive_failures: int = Field(ge=1)
    timeout: str
    half_open_requests: int = Field(ge=1)
    timeout_seconds: float = Field(ge=0)


class TargetPolicies(_Wire):
    timeout: Timeout | None = None
    retry: Retry | None = None
    circuit_breaker: CircuitBreaker | None = None


NONE = TargetPolicies()


class Resiliency(_Wire):
    """The parsed `CONVEYOR_RESILIENCY` document; empty when the variable is absent."""

    targets: dict[str, TargetPolicies] = Field(default_factory=dict)

    def target(self, name: str) -> TargetPolicies:
        return self.targets.get(name, NONE)
