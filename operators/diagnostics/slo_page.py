"""The SLO report as one self-contained HTML page: inline CSS, inline SVG, no script, no fetch.

Per SLO a section (`data-slo="service/name"`) with the objective, the SLI now, the error budget
left, the burn rate of each alert window coloured against the factors the alerts use, the state
of each alert, and charts of the SLI, the budget and the burn rates over the last hour with an
alert timeline. An SLO whose SLI is not measured says why. Pure: states in, text out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from operators.diagnostics.charts import Axis, Line, Rule, alert_timeline, colour, line_chart
from operators.diagnostics.slo_state import STEP_S, SloState
from operators.pipeline.slos.rules import BURN_ALERTS

FACTORS = sorted({factor for *_, pairs in BURN_ALERTS for _, _, factor in pairs}, reverse=True)
CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:#111827;background:#f3f4f6}header{background:#111827;color:#f9fafb;
padding:18px 32px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#d1d5db}
main{padding:20px 32px;max-width:1280px;margin:auto}section{background:#fff;border-radius:10px;
box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 22px;margin-bottom:22px}
section h2{margin:0 0 2px;font-size:18px}.desc{color:#4b5563;margin:0 0 14px}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:14px}
.tile{border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px}.tile .k{color:#6b7280;
font-size:12px;text-transform:uppercase;letter-spacing:.04em}.tile .v{font-size:24px;
font-weight:600}.tile .s{color:#6b7280;font-size:12px}.good{color:#047857}.warn{color:#b45309}
.bad{color:#b91c1c}.none{color:#9ca3af}table{border-collapse:collapse;width:100%;
margin-bottom:14px}th,td{padding:5px 8px;text-align:center;border-bottom:1px solid #f3f4f6}
th{color:#6b7280;font-weight:500;font-size:12px}td.burn{font-weight:600;border-radius:4px}
.b0{background:#ecfdf5;color:#047857}.b1{background:#fef3c7;color:#92400e}.b2{background:#ffedd5;
color:#c2410c}.b3{background:#fee2e2;color:#b91c1c}.bn{color:#9ca3af}.badges{display:flex;
flex-wrap:wrap;gap:6px}.badge{padding:2px 8px;border-radius:999px;font-size:12px;
border:1px solid #d1d5db;color:#374151}.badge.firing{background:#dc2626;color:#fff;
border-color:#dc2626}.badge.pending{background:#f59e0b;color:#fff;border-color:#f59e0b}
.badge.inactive{background:#ecfdf5;border-color:#a7f3d0;color:#047857}.charts{display:grid;
grid-template-columns:1fr 1fr;gap:14px}.charts figure{margin:0}.charts figcaption{font-size:12px;
color:#4b5563;margin-bottom:2px}.legend{font-size:12px;color:#4b5563}.legend i{display:inline-block;
width:10px;height:3px;margin:0 4px 3px 10px;vertical-align:middle}.missing{background:#fffbeb;
border:1px solid #fde68a;border-radius:8px;padding:10px 12px}.chart .grid{stroke:#f3f4f6}
.chart .tick{font-size:11px;fill:#6b7280}.chart .rule{font-size:10px}.chart .nodata{font-size:13px;
fill:#9ca3af}footer{color:#6b7280;font-size:12px;padding:0 32px 24px;max-width:1280px;margin:auto}
"""


def _pct(value: float, digits: int = 3) -> str:
    if math.isnan(value) or math.isinf(value):
        return "no data"
    return f"{value * 100:.{digits}f} %"


def _burn_class(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return "bn"
    # 1x spends the budget on time; 3x tickets; 6x and above page (with their short window).
    return f"b{sum(value >= f for f in (1.0, 3.0, 6.0))}"


def _budget_class(value: float) -> str:
    if math.isnan(value):
        return "none"
    return "good" if value >= 0.25 else "warn" if value >= 0 else "bad"  # noqa: PLR2004


def _sli_class(value: float, objective: float) -> str:
    if math.isnan(value):
        return "none"
    return "good" if value * 100 >= objective else "bad"


def _tile(key: str, value: str, sub: str, css: str = "") -> str:
    return (
        f'<div class="tile"><div class="k">{escape(key)}</div>'
        f'<div class="v {css}">{escape(value)}</div><div class="s">{escape(sub)}</div></div>'
    )


def _values(points: Sequence[tuple[float, float]]) -> list[float]:
    return [v for _, v in points if not (math.isnan(v) or math.isinf(v))]


def _charts(state: SloState, start: float, end: float) -> str:
    objective = state.objective / 100
    seen = _values(state.sli_chart)
    low = max(0.0, min([objective - 3 * state.budget, *seen]))
    sli_axis = Axis(low, 1.0, (1.0, low, objective), lambda v: f"{v * 100:.2f}%")
    sli = line_chart(
        f"{state.title}: SLI (5 m window)",
        [Line("SLI 5m", state.sli_chart, colour(0))],
        sli_axis,
        start=start,
        end=end,
        rules=[Rule(objective, f"objective {state.objective:g}%", "#059669")],
    )
    left = _values(state.budget_chart)
    budget_low = min([0.0, *left])
    budget_axis = Axis(budget_low, 1.0, (1.0, 0.0, budget_low, 0.5), lambda v: f"{v * 100:.0f}%")
    budget = line_chart(
        f"{state.title}: error budget remaining",
        [Line("budget", state.budget_chart, colour(2))],
        budget_axis,
        start=start,
        end=end,
        rules=[Rule(0.0, "budget spent", "#dc2626")],
    )
    burned = [v for points in state.burn_chart.values() for v in _values(points)]
    high = max([20.0, *(v * 1.15 for v in burned)])
    ticks = tuple(t for t in (0.0, 1.0, 3.0, 6.0, 14.4, 100.0, 1000.0, 10000.0) if t <= high)
    burn_axis = Axis(0.0, high, ticks, lambda v: f"{v:g}x", log=True)
    lines = [Line(w, pts, colour(i)) for i, (w, pts) in enumerate(state.burn_chart.items())]
    burn = line_chart(
        f"{state.title}: burn rate per window",
        lines,
        burn_axis,
        start=start,
        end=end,
        rules=[Rule(f, f"{f:g}x", "#ef4444" if f >= 6 else "#f59e0b") for f in FACTORS],  # noqa: PLR2004
    )
    legend = "".join(
        f'<i style="background:{line.colour}"></i>{escape(line.label)}' for line in lines
    )
    timeline = alert_timeline(
        f"{state.title}: alerts",
        [(a.name.removeprefix(state.alert_prefix), a.active) for a in state.alerts],
        start=start,
        end=end,
        step_s=STEP_S,
    )
    figures = (
        ("SLI over the last hour (5-minute window) against the objective", sli),
        ("Error budget remaining (budget window: 30 days, or the data there is)", budget),
        (f'Burn rate by window (log scale) <span class="legend">{legend}</span>', burn),
        (f"Alerts {escape(state.alert_prefix)}…: amber pending, red firing", timeline),
    )
    return '<div class="charts">' + "".join(
        f"<figure><figcaption>{caption}</figcaption>{svg}</figure>" for caption, svg in figures
    ) + "</div>"  # fmt: skip


def _section(state: SloState, start: float, end: float) -> str:
    head = (
        f'<section data-slo="{escape(state.service)}/{escape(state.name)}">'
        f"<h2>{escape(state.title)}</h2><p class='desc'>{escape(state.description)}</p>"
    )
    if state.missing is not None:
        return (
            head + f'<div class="missing"><b>Not measured.</b> Objective {state.objective:g} %. '
            f"{escape(state.missing)}</div></section>"
        )
    if not state.recorded:
        head += (
            '<div class="missing"><b>Prometheus has no records for this SLO:</b> the generated '
            "rules (observability/rules/) are not loaded, so every value below is missing.</div>"
        )
    events = "no data" if math.isnan(state.events_1h) else f"{state.events_1h:,.0f} events"
    tiles = "".join(
        (
            _tile("objective", f"{state.objective:g} %", f"budget {state.budget * 100:g} %"),
            _tile(
                "SLI, last 5 min",
                _pct(state.sli_5m),
                f"last hour: {_pct(state.sli_1h)}",
                _sli_class(state.sli_5m, state.objective),
            ),
            _tile("events, last hour", events, "the volume behind the ratios"),
            _tile(
                "error budget left",
                _pct(state.budget_remaining, 1),
                "of the 30-day budget",
                _budget_class(state.budget_remaining),
            ),
        )
    )
    header = "".join(f"<th>{escape(w)}</th>" for w in state.burn)
    cells = "".join(
        f'<td class="burn {_burn_class(v)}">{"—" if math.isnan(v) else f"{v:.2f}x"}</td>'
        for v in state.burn.values()
    )
    badges = "".join(
        f'<span class="badge {escape(a.state)}" title="{escape(a.severity)}">'
        f"{escape(a.name)}: {escape(a.state)}</span>"
        for a in state.alerts
    )
    return (
        head
        + f'<div class="tiles">{tiles}</div>'
        + f"<table><tr><th>burn rate</th>{header}</tr><tr><td>now</td>{cells}</tr></table>"
        + f'<div class="badges">{badges}</div><br>'
        + _charts(state, start, end)
        + "</section>"
    )


def render(states: Sequence[SloState], *, prometheus_url: str, now: float) -> str:
    """The whole page for `states` read at `now` (unix seconds) from `prometheus_url`."""
    start = now - 3600
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    body = "".join(_section(state, start, now) for state in states)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Conveyor SLO report, {stamp}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Conveyor SLO report</h1><p>{len(states)} SLOs from observability/slos/, "
        f"read from Prometheus at {escape(prometheus_url)} at {stamp}; charts cover the last "
        "hour.</p></header>"
        f"<main>{body}</main><footer>Burn rate 1x spends exactly the error budget over 30 days; "
        "the alerts page at 14.4x (1 h and 5 m) or 6x (6 h and 30 m) and ticket at 3x (1 d and "
        "2 h) or 1x (3 d and 6 h). Generated by <code>conveyor slo report</code>.</footer>"
        "</body></html>\n"
    )
