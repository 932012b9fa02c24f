"""A load run's memory as one self-contained HTML page: PSS over time per process, and its trend.

Two charts (the servers; the workloads' replicas, named `<workload>-<n>`) drawn with the SLO
report's SVG charts, and a table of each process's first and last PSS with its fitted slopes
(`memory.trends`), the processes `memory.still_growing` names marked. Pure: the caller writes
the page (`build/load/<scenario>-memory.html`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from loadtests.memory import (
    GROWING_MIB_PER_HOUR,
    MIB,
    NOISE_MIB,
    Sample,
    slope_text,
    still_growing,
)
from operators.diagnostics.charts import Axis, Line, colour, line_chart
from operators.diagnostics.slo_page import CSS

_REPLICA = re.compile(r"-\d+$")


def _chart(title: str, names: Sequence[str], samples: Sequence[Sample], start: float) -> str:
    lines = [
        Line(name, [(start + t, found[name] / MIB) for t, found in samples if name in found],
             colour(i))
        for i, name in enumerate(names)
    ]  # fmt: skip
    high = max([v for line in lines for _, v in line.points] or [1.0]) * 1.1
    axis = Axis(0.0, high, (0.0, high / 2, high), lambda v: f"{v:,.0f} MiB")
    end = start + (samples[-1][0] if samples else 0.0)
    legend = "".join(
        f'<span><i style="background:{line.colour}"></i>{escape(line.label)}</span>'
        for line in lines
    )
    svg = line_chart(title, lines, axis, start=start, end=end)
    caption = f"<figcaption>{escape(title)}</figcaption>"
    return f'<figure>{caption}{svg}<div class="legend">{legend}</div></figure>'


def render(
    scenario: str,
    samples: Sequence[Sample],
    trends: Mapping[str, Mapping[str, float | None]],
    *,
    start: float,
) -> str:
    """The page for `samples` taken from `start` (epoch seconds) with their `trends`."""
    names = sorted(trends)
    workloads = [n for n in names if _REPLICA.search(n)]
    servers = [n for n in names if n not in workloads]
    growing = set(still_growing(trends))
    rows = "".join(
        f"<tr><td style='text-align:left'>{escape(name)}</td>"
        f"<td>{trend['first_mib']:,.1f}</td><td>{trend['last_mib']:,.1f}</td>"
        f"<td>{slope_text(trend['mib_per_hour'])}</td>"
        f"<td>{slope_text(trend['first_half_mib_per_hour'])}</td>"
        f"<td class='{'bad' if name in growing else 'good'}'>"
        f"{slope_text(trend['second_half_mib_per_hour'])}</td></tr>"
        for name, trend in sorted(trends.items())
    )
    stamp = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d %H:%M UTC")
    minutes = (samples[-1][0] if samples else 0.0) / 60
    verdict = (
        f"<p class='bad'>still growing in the second half: {escape(', '.join(sorted(growing)))}</p>"
        if growing
        else f"<p class='good'>no process grows faster than {GROWING_MIB_PER_HOUR:g} MiB/h (and by"
        f" {NOISE_MIB:g} MiB or more) in the second half</p>"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(scenario)}: memory</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(scenario)}: memory (PSS) over {minutes:,.0f} minutes</h1>"
        f"<p>{len(samples)} samples from {stamp}</p></header><main>"
        f"<section><div class='charts'>{_chart('servers', servers, samples, start)}"
        f"{_chart('workloads', workloads, samples, start)}</div></section>"
        f"<section><h2>Trend per process</h2>{verdict}<table><tr><th>process</th>"
        "<th>first MiB</th><th>last MiB</th><th>MiB/h (whole run)</th><th>MiB/h (first half)</th>"
        f"<th>MiB/h (second half)</th></tr>{rows}</table>"
        "<p class='desc'>Least-squares slopes of PSS against time. A bounded memory filling up "
        "(a JVM heap, shared buffers, a span store) grows in the first half and levels off; a "
        "leak keeps its slope.</p></section></main></body></html>"
    )
