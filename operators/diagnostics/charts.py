"""Line charts and alert timelines as inline SVG, drawn from plain points (pure, no JavaScript).

Why SVG and not a chart library: the page must be one self-contained file that renders with
scripting off, in a mail client or a CI artifact viewer, and be testable without a browser; four
chart kinds over a few hundred points need no more than polylines. A NaN point (no data) breaks
the line instead of drawing a false zero. Burn rates use a log(1 + x) axis so that 0.5x and
200x are both readable next to the 1x, 3x, 6x and 14.4x alert factors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

Points = Sequence[tuple[float, float]]
WIDTH, HEIGHT = 560, 190
LEFT, RIGHT, TOP, BOTTOM = 56, 14, 12, 26
MIN_TICK_GAP = 12  # px between two tick labels
PALETTE = (  # distinct for up to ten lines (the soak's memory page draws nine servers)
    "#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed",
    "#0891b2", "#65a30d", "#111827", "#b91c1c", "#a16207",
)  # fmt: skip


@dataclass(frozen=True)
class Line:
    label: str
    points: Points
    colour: str


@dataclass(frozen=True)
class Rule:
    """A dashed horizontal line: an objective, a budget edge, an alert factor."""

    value: float
    label: str
    colour: str = "#9ca3af"


@dataclass(frozen=True)
class Axis:
    low: float
    high: float
    ticks: tuple[float, ...]
    label: Callable[[float], str]
    log: bool = False

    def scale(self, value: float) -> float:
        """0 at the bottom, 1 at the top (clamped)."""
        f = math.log1p if self.log else (lambda x: x)
        span = f(self.high) - f(self.low) or 1.0
        return min(1.0, max(0.0, (f(max(value, self.low)) - f(self.low)) / span))


def _x(t: float, start: float, end: float) -> float:
    return LEFT + (t - start) / ((end - start) or 1.0) * (WIDTH - LEFT - RIGHT)


def _y(value: float, axis: Axis) -> float:
    return TOP + (1.0 - axis.scale(value)) * (HEIGHT - TOP - BOTTOM)


def _segments(points: Points) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for t, v in points:
        if math.isnan(v) or math.isinf(v):
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((t, v))
    return [run for run in runs if run]


def _time_ticks(start: float, end: float, every_s: float = 900.0) -> list[float]:
    first = math.ceil(start / every_s) * every_s
    return [first + i * every_s for i in range(int((end - first) // every_s) + 1)]


def _frame(axis: Axis, start: float, end: float, title: str) -> list[str]:
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    drawn: list[float] = []
    for tick in axis.ticks:  # in priority order: a tick too close to an earlier one is left out
        y = _y(tick, axis)
        if any(abs(y - other) < MIN_TICK_GAP for other in drawn):
            continue
        drawn.append(y)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{escape(axis.label(tick))}</text>"
        )
    for t in _time_ticks(start, end):
        x = _x(t, start, end)
        stamp = datetime.fromtimestamp(t, UTC).strftime("%H:%M")
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" class="tick" text-anchor="middle">{stamp}</text>'
        )
    return parts


def line_chart(
    title: str,
    lines: Sequence[Line],
    axis: Axis,
    *,
    start: float,
    end: float,
    rules: Sequence[Rule] = (),
) -> str:
    """A time series chart over [start, end]; says "no data" when every point is missing."""
    parts = _frame(axis, start, end, title)
    for rule in rules:
        y = _y(rule.value, axis)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{rule.colour}" stroke-dasharray="5 4" stroke-width="1.2"/>'
            f'<text x="{WIDTH - RIGHT - 4}" y="{y - 4:.1f}" class="rule" text-anchor="end" '
            f'fill="{rule.colour}">{escape(rule.label)}</text>'
        )
    drawn = 0
    for line in lines:
        for run in _segments(line.points):
            coords = " ".join(f"{_x(t, start, end):.1f},{_y(v, axis):.1f}" for t, v in run)
            if len(run) == 1:
                cx, cy = coords.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{line.colour}"/>')
            else:
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{line.colour}" '
                    'stroke-width="1.8" stroke-linejoin="round"/>'
                )
            drawn += 1
    if not drawn:
        parts.append(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT / 2}" class="nodata" '
            'text-anchor="middle">no data in the last hour</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


STATE_COLOURS = {"firing": "#dc2626", "pending": "#f59e0b"}
ROW_H, LABEL_W = 22, 120


def alert_timeline(
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[float, str]]]],
    *,
    start: float,
    end: float,
    step_s: float,
) -> str:
    """One bar per alert: grey while inactive, amber while pending, red while firing."""
    height = TOP + ROW_H * len(rows) + BOTTOM
    width_x = WIDTH - RIGHT - LABEL_W

    def x(t: float) -> float:
        return LABEL_W + (t - start) / ((end - start) or 1.0) * width_x

    parts = [
        f'<svg class="chart timeline" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (name, active) in enumerate(rows):
        y = TOP + i * ROW_H
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 14}" class="tick" text-anchor="end">'
            f"{escape(name)}</text>"
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{width_x}" height="{ROW_H - 8}" '
            'rx="3" fill="#e5e7eb"/>'
        )
        for t, state in active:
            left = max(float(LABEL_W), x(t - step_s / 2))
            parts.append(
                f'<rect x="{left:.1f}" y="{y + 3}" width="{max(x(t + step_s / 2) - left, 1):.1f}" '
                f'height="{ROW_H - 8}" fill="{STATE_COLOURS.get(state, "#dc2626")}"/>'
            )
    for t in _time_ticks(start, end):
        stamp = datetime.fromtimestamp(t, UTC).strftime("%H:%M")
        parts.append(
            f'<text x="{x(t):.1f}" y="{height - 8}" class="tick" text-anchor="middle">'
            f"{stamp}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]
