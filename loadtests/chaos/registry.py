"""The scenarios `make chaos` knows, in the order it runs them.

One line per scenario: the module under loadtests/chaos/scenarios/ that defines it. Each module
exposes `SCENARIO`, an instance of `Scenario`. To add one, append its module's name at the end of
MODULES (keep one per line: branches adding scenarios then merge without conflicts).
"""

from __future__ import annotations

import importlib

from loadtests.chaos.scenario import Scenario

MODULES = (
    "sigkill",
    "sigstop",
    "kafka_stop",
    "kafka_restart",
    "postgres_restart",
    "connection_limit",
    "proxy_latency",
    "partition",
    "poison",
    "disk_full",
    "rolling_restart",
    "replicas",
    "redis_stop",
)  # fmt: skip


class UnknownScenarioError(ValueError):
    pass


def load(module: str) -> Scenario:
    found = importlib.import_module(f"loadtests.chaos.scenarios.{module}").SCENARIO
    if not isinstance(found, Scenario):
        raise TypeError(f"loadtests.chaos.scenarios.{module}.SCENARIO is not a Scenario")
    return found


def every() -> list[Scenario]:
    return [load(module) for module in MODULES]


def select(names: list[str]) -> list[Scenario]:
    """The named scenarios (all when none are named), in the registry's order."""
    known = every()
    unknown = sorted(set(names) - {s.name for s in known})
    if unknown:
        raise UnknownScenarioError(
            f"unknown scenario {', '.join(unknown)}; choose from {', '.join(s.name for s in known)}"
        )
    return [s for s in known if not names or s.name in names]
