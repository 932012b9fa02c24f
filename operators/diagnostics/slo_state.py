"""The live state of every SLO, read from Prometheus through the generated records' names.

Per SLO of observability/slos/: the objective (the spec's, and whether Prometheus records it,
which tells whether the generated rules are loaded at all), the SLI now (5 minutes and 1 hour),
the error budget left over the budget window, the burn rate of every alert window, the state of
each of its alerts, and each of those over the last hour. The PromQL is that of
`operators/pipeline/slos/records.py`, the same the alerts and the SLO overview dashboard use.

A value Prometheus has no sample for (no traffic, rules not loaded) is NaN, and the page says
"no data"; an unreachable Prometheus raises `PrometheusError` from the first query.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

from operators.diagnostics.prometheus import PrometheusApi, Series
from operators.pipeline.slos import records
from operators.pipeline.slos.model import Slo, SloFile
from operators.pipeline.slos.rules import BURN_ALERTS

Points = tuple[tuple[float, float], ...]
HOUR_S = 3600.0
STEP_S = 15.0


@dataclass(frozen=True)
class AlertState:
    name: str
    severity: str
    state: str  # inactive | pending | firing | not loaded
    active: tuple[tuple[float, str], ...] = ()  # (time, pending|firing) over the last hour


@dataclass(frozen=True)
class SloState:
    service: str
    name: str
    description: str
    objective: float  # percent
    alert_prefix: str = ""  # the spec's alerting.name, which every alert name starts with
    missing: str | None = None  # why the SLI is not measured (no rules, no data)
    recorded: bool = False  # Prometheus has the objective record: the rules are loaded
    sli_5m: float = math.nan
    sli_1h: float = math.nan
    events_1h: float = math.nan
    budget_remaining: float = math.nan
    burn: dict[str, float] = field(default_factory=dict)
    alerts: tuple[AlertState, ...] = ()
    sli_chart: Points = ()
    budget_chart: Points = ()
    burn_chart: dict[str, Points] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.service} / {self.name}"

    @property
    def budget(self) -> float:
        return (100.0 - self.objective) / 100.0


def alert_names(slo: Slo) -> list[tuple[str, str]]:
    """(alert, severity) for every alert the generator writes for `slo`."""
    burns = [(f"{slo.alerting.name}{suffix}", severity) for suffix, severity, _, _ in BURN_ALERTS]
    return [*burns, (f"{slo.alerting.name}SLIAbsent", "ticket")]


def _first(series: list[Series]) -> float:
    return series[0].last if series else math.nan


def _points(series: list[Series]) -> Points:
    return series[0].points if series else ()


def read_slo(
    api: PrometheusApi,
    file: SloFile,
    slo: Slo,
    *,
    loaded: dict[str, str],
    now: float,
    step_s: float = STEP_S,
) -> SloState:
    """One SLO's state at `now` and over the hour before it; `loaded`: alert -> rule state."""
    base = SloState(
        file.service, slo.name, slo.description.strip(), slo.objective, slo.alerting.name
    )
    if slo.sli.missing is not None:
        return replace(base, missing=" ".join(slo.sli.missing.reason.split()))
    sel = records.slo_selector(file.service, slo.name)
    start = now - HOUR_S

    def instant(expr: str) -> float:
        return _first(api.query(expr, at=now))

    def ranged(expr: str) -> Points:
        return _points(api.query_range(expr, start=start, end=now, step_s=step_s))

    names = alert_names(slo)
    active = api.query_range(
        'ALERTS{speedup="",alertname=~"' + "|".join(n for n, _ in names) + '"}',
        start=start,
        end=now,
        step_s=step_s,
    )
    alerts = tuple(
        AlertState(
            name,
            severity,
            loaded.get(name, "not loaded"),
            tuple(
                sorted(
                    (t, s.labels.get("alertstate", "firing"))
                    for s in active
                    if s.labels.get("alertname") == name
                    for t, _ in s.points
                )
            ),
        )
        for name, severity in names
    )
    return replace(
        base,
        recorded=bool(api.query(records.objective(sel), at=now)),
        sli_5m=instant(records.sli("5m", sel)),
        sli_1h=instant(records.sli("1h", sel)),
        events_1h=instant(f"{records.events_record('1h')}{sel}"),
        budget_remaining=instant(records.budget_remaining(sel)),
        burn={w: instant(records.burn_rate(w, sel)) for w in records.WINDOWS},
        alerts=alerts,
        sli_chart=ranged(records.sli("5m", sel)),
        budget_chart=ranged(records.budget_remaining(sel)),
        burn_chart={w: ranged(records.burn_rate(w, sel)) for w in records.WINDOWS},
    )


def read_all(
    api: PrometheusApi, specs: list[SloFile], *, now: float | None = None
) -> list[SloState]:
    """Every SLO of every spec file, in file and spec order."""
    at = time.time() if now is None else now
    # The time-compressed copy (label `speedup`, ADR 0028) has the same alert names: left out.
    loaded = {rule.name: rule.state for rule in api.alert_rules() if "speedup" not in rule.labels}
    return [read_slo(api, file, slo, loaded=loaded, now=at) for file in specs for slo in file.slos]
