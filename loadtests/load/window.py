"""Each SLO's bad and total events over a run's exact window, read from the local Prometheus.

The window is [start, end]: counters are read as instant vectors at both ends, per series, and
subtracted (a series born during the run counts from zero, a counter reset counts from zero
again), which is exact to a scrape, where `increase()` over a short range would extrapolate and
would miss a series' first value. Events SLIs read the spec's counter with `total` and with
`total` plus `errors`; latency SLIs read the histogram's `_count` and its bucket at the threshold
(bad = count - fast); time-slice (gauge) SLIs read the recorded `slo:sli_bad:bool` of the
generated rules (`records.slo_selector`) over the window: bad evaluations and all evaluations.
Before reading, `settled` waits until every workload target has been scraped after `end`
(bounded by `timeout_s`; an unreachable Prometheus raises `PrometheusError`).
"""

from __future__ import annotations

import time

from loadtests.load.verdict import Measured, slo_key
from operators.diagnostics.prometheus import PrometheusApi, PrometheusError
from operators.pipeline.slos import records
from operators.pipeline.slos.model import Slo, SloFile


def _sel(metric: str, *matchers: str) -> str:
    return f"{metric}{{{','.join(m for m in matchers if m)}}}"


def _by_series(api: PrometheusApi, expr: str, at: float) -> dict[frozenset[tuple[str, str]], float]:
    return {frozenset(s.labels.items()): s.last for s in api.query(expr, at=at)}


def increase(api: PrometheusApi, expr: str, start: float, end: float) -> float:
    """Sum over series of (value at end - value at start), resets and new series from zero."""
    before = _by_series(api, expr, start)
    total = 0.0
    for labels, value in _by_series(api, expr, end).items():
        was = before.get(labels, 0.0)
        total += value - was if value >= was else value
    return total


def measure(
    api: PrometheusApi, file: SloFile, slo: Slo, start: float, end: float
) -> Measured | None:
    sli = slo.sli
    if sli.events is not None:
        ev = sli.events
        total = increase(api, _sel(ev.metric, ev.total), start, end)
        bad = increase(api, _sel(ev.metric, ev.total, ev.errors), start, end)
        return Measured(bad, total)
    if sli.latency is not None:
        lat = sli.latency
        total = increase(api, _sel(f"{lat.histogram}_count", lat.total), start, end)
        le = f'le="{lat.le}"'
        fast = increase(api, _sel(f"{lat.histogram}_bucket", lat.total, le), start, end)
        return Measured(total - fast, total)
    if sli.gauge is not None:
        seconds = max(1, round(end - start))
        sel = records.slo_selector(file.service, slo.name)
        bads = api.query(f"sum_over_time(slo:sli_bad:bool{sel}[{seconds}s])", at=end)
        counts = api.query(f"count_over_time(slo:sli_bad:bool{sel}[{seconds}s])", at=end)
        return Measured(bads[0].last if bads else 0.0, counts[0].last if counts else 0.0)
    return None


def settled(api: PrometheusApi, end: float, *, timeout_s: float = 30.0) -> float:
    """Wait until every workload target was scraped after `end`; the time to read at."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = time.time()
        scraped = api.query('min(timestamp(up{job="workloads"}))', at=now)
        if scraped and scraped[0].last >= end:
            return now
        if time.monotonic() > deadline:
            raise PrometheusError(f"no scrape of every workload after the run within {timeout_s} s")
        time.sleep(1.0)


def measure_all(
    api: PrometheusApi, specs: list[SloFile], start: float, end: float
) -> dict[str, Measured]:
    found: dict[str, Measured] = {}
    for file in specs:
        for slo in file.slos:
            seen = measure(api, file, slo, start, end)
            if seen is not None:
                found[slo_key(file.service, slo.name)] = seen
    return found
