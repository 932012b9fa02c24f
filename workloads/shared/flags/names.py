"""The flags the code reads: one catalogue, so the file, the CLI and the pipeline agree.

A flag whose key starts with `fault.` injects failures; a production pipeline refuses every such
key unless `allowFailureInjection` is true (operators/pipeline/spec.py), and the services read
failure injection from nowhere else. `rollout.` flags change a real behaviour for a share of
customers (a flagd `fractional` rule over the customer id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FAULT_PREFIX = "fault."
ROLLOUT_PREFIX = "rollout."
FLAG_KEY = r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$"

FlagType = Literal["boolean", "integer", "float"]

# Services whose HTTP requests can be slowed by `fault.<service>.latency-ms`.
LATENCY_SERVICES = ("order", "inventory", "payment", "notification", "catalog")
MAX_LATENCY_MS = 120_000


@dataclass(frozen=True)
class KnownFlag:
    key: str
    type: FlagType
    default: bool | int | float
    low: float = 0.0
    high: float = 1.0
    description: str = ""

    def check(self, value: object) -> bool | int | float:
        """The value as this flag's type, or ValueError naming the flag and the allowed range."""
        if self.type == "boolean":
            if isinstance(value, bool):
                return value
            raise ValueError(f"{self.key} is a boolean flag: true or false, not {value!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.key} is a number flag, not {value!r}")  # noqa: TRY004
        if self.type == "integer" and value != int(value):
            raise ValueError(f"{self.key} takes a whole number, not {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{self.key} must be between {self.low:g} and {self.high:g}")
        return int(value) if self.type == "integer" else float(value)


def _latency(service: str) -> KnownFlag:
    return KnownFlag(
        f"fault.{service}.latency-ms",
        "integer",
        0,
        high=MAX_LATENCY_MS,
        description=f"milliseconds added before each {service} API request",
    )


PAYMENT_PROVIDER_FAILURE_RATE = KnownFlag(
    "fault.payment-provider.failure-rate",
    "float",
    0.0,
    description="share of card provider calls answered 503 before any effect",
)
PAYMENT_PROVIDER_LATENCY_MS = KnownFlag(
    "fault.payment-provider.latency-ms",
    "integer",
    0,
    high=MAX_LATENCY_MS,
    description="milliseconds the card provider waits before each charge or refund",
)
INVENTORY_ERROR_RATE = KnownFlag(
    "fault.inventory.error-rate",
    "float",
    0.0,
    description="share of reservations that fail with an inventory error",
)
CONFIRMATION_V2 = KnownFlag(
    "rollout.notification.confirmation-v2",
    "boolean",
    False,
    description="the new order confirmation text, for the customers the rollout selects",
)
LATENCY = {service: _latency(service) for service in LATENCY_SERVICES}

KNOWN: dict[str, KnownFlag] = {
    flag.key: flag
    for flag in (
        PAYMENT_PROVIDER_FAILURE_RATE,
        PAYMENT_PROVIDER_LATENCY_MS,
        INVENTORY_ERROR_RATE,
        CONFIRMATION_V2,
        *LATENCY.values(),
    )
}

# The number flags: each process exports the value it evaluates for each (conveyor_flag_value).
NUMBERS: tuple[KnownFlag, ...] = tuple(f for f in KNOWN.values() if f.type != "boolean")


def injects_failures(key: str) -> bool:
    return key.startswith(FAULT_PREFIX)
