"""The names of the generated SLO records, and the PromQL that reads them, in one place.

`rules` writes these records; the SLO overview dashboard (operators/dashboards) and
`conveyor slo report` (operators/diagnostics) read them through the functions here, so a page,
a panel and an alert never disagree on what "the error ratio over 1 h" is. Pure strings.

Every record of one SLO carries the same labels (`service`, `slo`, the spec file's labels), so
the records of one SLO divide by each other without `on()`. The budget over the 30-day window is
not recorded (a 30-day rate is costly and the local Prometheus keeps 2 days): it is the
event-weighted mean of the recorded 5-minute ratio over the data there is, at most 30 days.
"""

from __future__ import annotations

from collections.abc import Mapping

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
BUDGET_WINDOW = "30d"
OBJECTIVE = "slo:objective:ratio"


def error_ratio_record(window: str) -> str:
    """bad / all events of the SLI over `window`."""
    return f"slo:sli_error:ratio_rate{window}"


def events_record(window: str) -> str:
    """all events of the SLI over `window` (the volume behind a ratio)."""
    return f"slo:sli_events:increase{window}"


def selector(labels: Mapping[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def slo_selector(service: str, slo: str) -> str:
    """The labels that pick one SLO's records (`service` and `slo` are on every record).

    `speedup=""` leaves out the time-compressed copy the local Prometheus also loads (its
    records carry `speedup="<n>"`, ADR 0028): a reader wants the real windows.
    """
    return selector({"service": service, "slo": slo, "speedup": ""})


def error_ratio(window: str, sel: str) -> str:
    """The recorded error ratio, or 0 where the window had events but no bad ones.

    The generated ratio is `sum(rate(bad)) / sum(rate(all))`: with no bad series at all the
    numerator is empty and so is the record, which a reader would show as "no data" although
    every event was good. A window without events stays empty (no traffic is not 100 %).
    """
    events = f"{events_record(window)}{sel}"
    return f"({error_ratio_record(window)}{sel} or 0 * ({events} > 0))"


def objective(sel: str) -> str:
    return f"{OBJECTIVE}{sel}"


def sli(window: str, sel: str) -> str:
    """The share of good events over `window` (1 - error ratio)."""
    return f"1 - {error_ratio(window, sel)}"


def burn_rate(window: str, sel: str) -> str:
    """How fast the window spends the budget: 1 spends exactly the budget over 30 days."""
    return f"{error_ratio(window, sel)} / (1 - {objective(sel)})"


def budget_remaining(sel: str, *, step: str = "1m") -> str:
    """1 = untouched, 0 = spent, below 0 = overspent, over the budget window.

    Bad events over the window are the 5-minute ratio times the 5-minute volume, summed at `step`;
    the overlap of the 5-minute windows counts every event 5m/step times, above and below the
    line alike, so the ratio stays exact. A 5-minute window without events records NaN, which
    `>= 0` drops before it can poison the sum.
    """
    window = f"[{BUDGET_WINDOW}:{step}]"
    bad = f"sum_over_time(({error_ratio('5m', sel)} * {events_record('5m')}{sel} >= 0){window})"
    total = f"sum_over_time({events_record('5m')}{sel}{window})"
    return f"1 - ({bad} / {total}) / (1 - {objective(sel)})"
