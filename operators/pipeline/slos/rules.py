"""Prometheus rules from SLO specs: recording rules and multi-window, multi-burn-rate alerts.

Pure: specs in, rule groups (plain dicts) out. The same function renders the committed files in
observability/rules/ (`conveyor slo generate`) and the operator's PrometheusRule, which passes a
`scope` (the pipeline's namespace and the workload's Service as `job`) and the pipeline's target.

Per SLO, every window W in WINDOWS gets two records, labelled with the SLO's labels:
`slo:sli_error:ratio_rateW` (bad / all events) and `slo:sli_events:increaseW` (all events, so a
dashboard and the low-traffic guard see the volume behind a ratio). The alerts follow the Google
SRE workbook for a 30-day budget: page when 1h and 5m both burn faster than 14.4x, or 6h and 30m
faster than 6x; ticket at 1d/2h above 3x or 3d/6h above 1x. Beyond Sloth and Pyrra: no burn-rate
alert while the long window holds fewer than `min_events` events (one failure at night is not a
page), a `for:` on each so that a ratio hovering at the threshold does not flap, and an
`...SLIAbsent` ticket when the SLI's series disappear. A `gauge` SLI (time slices) first records
`slo:sli_bad:bool` (1 while the state is bad), and its ratio and event count over W are that
record's average and sample count: a share of time, not of requests. Every alert carries
`runbook_url` to docs/runbooks/<alert>.md. An SLO whose SLI is `missing` generates nothing.

`speedup` (default 1) renders the same rules with every window, `for:` and `absent()` hold divided
by it and the event floor scaled with the long window, labelled `speedup="<n>"`, with record names
that say the real window (`ratio_rate25s`): the local stack loads such a copy beside the real rules
so that an alert can be seen firing and resolving in minutes (ADR 0028). Never for a cluster: a
burn over 25 s is noise there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from operators.pipeline.slos import records
from operators.pipeline.slos.model import Slo, SloFile
from operators.pipeline.slos.records import OBJECTIVE, error_ratio_record, events_record

WINDOWS = records.WINDOWS  # the record names and windows live in records.py

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

RUNBOOKS = "docs/runbooks"
# (suffix, severity, for, ((long, short, burn factor), ...))
BURN_ALERTS: tuple[tuple[str, str, str, tuple[tuple[str, str, float], ...]], ...] = (
    ("BurnRatePage", "page", "2m", (("1h", "5m", 14.4), ("6h", "30m", 6.0))),
    ("BurnRateTicket", "ticket", "15m", (("1d", "2h", 3.0), ("3d", "6h", 1.0))),
)


def scaled(duration: str, speedup: int) -> str:
    """A Prometheus duration divided by `speedup`, in whole seconds ("5m", 12 -> "25s")."""
    if speedup == 1:
        return duration
    seconds = int(duration[:-1]) * _SECONDS[duration[-1]]
    return f"{max(seconds // speedup, 1)}s"


def _number(value: float) -> str:
    return f"{value:.6g}"


def _join(*matchers: str) -> str:
    return ",".join(m for m in matchers if m)


def _scope_matchers(scope: Mapping[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in scope.items())


def _queries(slo: Slo, scope: str, window: str) -> tuple[str, str, str]:
    """(bad events rate, all events rate, the series whose absence means the SLI is blind)."""
    if slo.sli.gauge is not None:  # time slices: its ratio and count come from the bad-time record
        return "", "", f"{slo.sli.gauge.metric}{{{_join(scope, slo.sli.gauge.total)}}}"
    if slo.sli.events is not None:
        sli = slo.sli.events
        total = f"{sli.metric}{{{_join(scope, sli.total)}}}"
        bad = f"{sli.metric}{{{_join(scope, sli.total, sli.errors)}}}"
        return f"sum(rate({bad}[{window}]))", f"sum(rate({total}[{window}]))", total
    lat = slo.sli.latency
    if lat is None:
        raise ValueError(f"{slo.name}: a missing SLI has no queries")
    count = f"{lat.histogram}_count{{{_join(scope, lat.total)}}}"
    le = f'le="{lat.le}"'
    fast = f"{lat.histogram}_bucket{{{_join(scope, lat.total, le)}}}"
    total_rate = f"sum(rate({count}[{window}]))"
    return f"({total_rate} - sum(rate({fast}[{window}])))", total_rate, count


def _selector(labels: Mapping[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _runbook(alert: str) -> str:
    return f"{RUNBOOKS}/{alert}.md"


def slo_rules(
    file: SloFile,
    slo: Slo,
    *,
    scope: Mapping[str, str] | None = None,
    objective: float | None = None,
    extra_labels: Mapping[str, str] | None = None,
    speedup: int = 1,
) -> list[dict[str, Any]]:
    """Recording and alerting rules for one SLO (empty for a `missing` SLI).

    `scope` label matchers are added to every selector (and to the records' labels); `objective`
    replaces the spec's (the operator passes the pipeline's availability target); `speedup`
    shrinks every duration (see the module docstring).
    """
    if slo.sli.missing is not None:
        return []
    if speedup != 1:
        extra_labels = {**(extra_labels or {}), "speedup": str(speedup)}

    def w(duration: str) -> str:
        return scaled(duration, speedup)

    min_events = -(-slo.alerting.min_events // speedup)  # ceiling: the floor shrinks with W
    scope = dict(scope or {})
    target = slo.objective if objective is None else objective
    budget = (100.0 - target) / 100.0
    labels = {
        "service": file.service,
        "slo": slo.name,
        **file.labels,
        **scope,
        **(extra_labels or {}),
    }
    sel = _selector(labels)
    scoped = _scope_matchers(scope)
    rules: list[dict[str, Any]] = []
    gauge = slo.sli.gauge
    if gauge is not None:  # 1 while the state is bad, 0 while good: its average is the bad share
        _, _, series = _queries(slo, scoped, "5m")
        bad_now = f"max({series}) > bool {_number(gauge.bad_above)}"
        rules.append({"record": "slo:sli_bad:bool", "expr": bad_now, "labels": labels})
    for window in map(w, WINDOWS):
        bad, total, _ = _queries(slo, scoped, window)
        ratio = f"avg_over_time(slo:sli_bad:bool{sel}[{window}])" if gauge else f"{bad} / {total}"
        rules.append({"record": error_ratio_record(window), "expr": ratio, "labels": labels})
    for window in map(w, WINDOWS):
        _, total, _ = _queries(slo, scoped, window)
        increase = (
            f"count_over_time(slo:sli_bad:bool{sel}[{window}])"
            if gauge
            else total.replace("sum(rate(", "sum(increase(", 1)
        )
        rules.append({"record": events_record(window), "expr": increase, "labels": labels})
    rules.append(
        {
            "record": OBJECTIVE,
            "expr": f"vector({_number(target / 100)})",
            "labels": labels,
        }
    )
    alerting = slo.alerting
    summary = f"{alerting.summary} ({_number(target)}% objective)"
    for suffix, severity, hold, pairs in BURN_ALERTS:
        name = f"{alerting.name}{suffix}"
        conditions = [
            f"({error_ratio_record(w(long))}{sel} > {_number(factor * budget)}"
            f" and {error_ratio_record(w(short))}{sel} > {_number(factor * budget)}"
            f" and {events_record(w(long))}{sel} >= {min_events})"
            for long, short, factor in pairs
        ]
        windows = ", ".join(f"{w(long)}/{w(short)} above {_number(f)}x" for long, short, f in pairs)
        rules.append(
            {
                "alert": name,
                "expr": " or ".join(conditions),
                "for": w(hold),
                "labels": {**labels, **alerting.labels, "severity": severity},
                "annotations": {
                    "summary": summary,
                    "description": (
                        f"{file.service}/{slo.name} burns its error budget: {windows}, with at "
                        f"least {min_events} events in the long window."
                    ),
                    "runbook_url": _runbook(name),
                },
            }
        )
    _, _, series = _queries(slo, scoped, "5m")
    absent, absent_for = f"{alerting.name}SLIAbsent", w(alerting.absent_for)
    rules.append(
        {
            "alert": absent,
            "expr": f"absent({series})",
            "for": absent_for,
            "labels": {**labels, **alerting.labels, "severity": "ticket"},
            "annotations": {
                "summary": f"{file.service}/{slo.name}: the SLI's series are missing",
                "description": f"No {series} series for {absent_for}: the SLO is blind.",
                "runbook_url": _runbook(absent),
            },
        }
    )
    return rules


def rule_file(file: SloFile, *, speedup: int = 1) -> dict[str, Any]:
    """One spec file's rules, unscoped (one Prometheus, one deployment): a group per SLO."""
    suffix = "" if speedup == 1 else f"-speedup{speedup}"
    groups = [
        {
            "name": f"slo-{file.service}-{slo.name}{suffix}",
            "rules": slo_rules(file, slo, speedup=speedup),
        }
        for slo in file.slos
        if slo.sli.missing is None
    ]
    return {"groups": groups}


def alert_names(files: list[SloFile]) -> list[str]:
    """Every alert the specs generate (each must have a runbook)."""
    return sorted(
        f"{slo.alerting.name}{suffix}"
        for file in files
        for slo in file.slos
        if slo.sli.missing is None
        for suffix in (*(b[0] for b in BURN_ALERTS), "SLIAbsent")
    )
