"""`conveyor slo report`: read every SLO's state from Prometheus and write the page.

The page is written to a temporary file beside the target and renamed into place, so a reader
never sees half a page; a Prometheus that does not answer raises `PrometheusError` before
anything is written.
"""

from __future__ import annotations

import time
from pathlib import Path

from operators.diagnostics import slo_page, slo_state
from operators.diagnostics.prometheus import PrometheusApi
from operators.paths import REPO_ROOT
from operators.pipeline.slos.files import load

REPORT_FILE = REPO_ROOT / "build" / "slo" / "report.html"


def write_report(prometheus_url: str, output: Path = REPORT_FILE) -> Path:
    api = PrometheusApi(prometheus_url)
    try:
        now = time.time()
        states = slo_state.read_all(api, list(load().values()), now=now)
    finally:
        api.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".partial")
    partial.write_text(slo_page.render(states, prometheus_url=prometheus_url, now=now), "utf-8")
    partial.replace(output)
    return output
