"""A run's verdict: every SLO of observability/slos/ over the run's window, and no lost order.

Pure: the SLO specs and what was measured over the window (bad and total events per SLO, from
`window`) in, checks out. An SLO passes when its good share over the window is at least its
objective; a window without events for it passes and says so (a browse run places no orders).
A breach names the SLO and by how much: the good share against the objective, in points, and
the bad events against the number the objective allowed. Lost orders (accepted, never ended)
must be zero.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from operators.pipeline.slos.model import SloFile


@dataclass(frozen=True)
class Measured:
    bad: float
    total: float


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    objective_percent: float | None = None
    good_percent: float | None = None
    events: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def slo_key(service: str, slo: str) -> str:
    return f"{service}/{slo}"


def slo_checks(specs: list[SloFile], measured: dict[str, Measured]) -> list[Check]:
    checks: list[Check] = []
    for file in specs:
        for slo in file.slos:
            key = slo_key(file.service, slo.name)
            seen = measured.get(key)
            if seen is None:
                continue  # a `missing` SLI: nothing to measure
            checks.append(_judge(key, slo.objective, seen))
    return checks


def _judge(key: str, objective: float, seen: Measured) -> Check:
    if seen.total <= 0 or math.isnan(seen.total):
        return Check(key, True, "no events in the window", objective, None, 0.0)
    bad = max(0.0, min(seen.bad, seen.total))
    good = 100.0 * (1 - bad / seen.total)
    allowed = math.floor(seen.total * (100.0 - objective) / 100.0 + 1e-9)
    if good + 1e-9 >= objective:
        detail = f"{good:.2f}% good of {seen.total:,.0f} (objective {objective:g}%)"
        return Check(key, True, detail, objective, round(good, 3), seen.total)
    detail = (
        f"{good:.2f}% good of {seen.total:,.0f}, objective {objective:g}%: short by "
        f"{objective - good:.2f} points ({bad:,.0f} bad, {allowed:,} allowed)"
    )
    return Check(key, False, detail, objective, round(good, 3), seen.total)


def lost_check(lost: int, accepted: int) -> Check:
    if lost:
        return Check("orders/lost", False, f"{lost} of {accepted} accepted orders never ended")
    return Check("orders/lost", True, f"0 of {accepted} accepted orders lost")


def failures_check(failures: int, requests: int, *, objective: float) -> Check:
    """What the clients saw (connection errors never reach a server's metrics)."""
    return _judge("locust/requests", objective, Measured(failures, requests))


def passed(checks: list[Check]) -> bool:
    return all(c.passed for c in checks)
