"""`conveyor slo report` against the live Prometheus, opened in headless Chromium.

The page is written from the local stack's Prometheus, loaded from its file (no server: it must
be self-contained), and must render one section per SLO of observability/slos/ with its charts,
without a console error or a request leaving the page; the screenshot is kept as
build/slo/report.png for a person to look at.
"""

from __future__ import annotations

from operators.diagnostics.report_file import REPORT_FILE, write_report
from operators.local.stack import LocalStack
from operators.pipeline.slos.files import load
from tests.support.browser import chromium

SCREENSHOT = REPORT_FILE.with_suffix(".png")
CHARTS_PER_SLO = 4  # SLI, budget, burn rates, alert timeline


def test_the_report_renders_every_slo_with_its_charts(stack: LocalStack) -> None:
    page_file = write_report(f"http://{stack.prometheus.address}")
    errors: list[str] = []
    fetched: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: fetched.append(r.url))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        for file in load().values():
            for slo in file.slos:
                section = page.locator(f'section[data-slo="{file.service}/{slo.name}"]')
                assert section.count() == 1, f"no section for {file.service}/{slo.name}"
                charts = section.locator("svg.chart").count()
                expected = 0 if slo.sli.missing is not None else CHARTS_PER_SLO
                assert charts == expected, f"{file.service}/{slo.name}: {charts} charts"
                assert section.locator("svg.chart polyline, svg.chart text").count() >= expected
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == [], errors
    assert [url for url in fetched if not url.startswith("file:")] == [], fetched
    assert SCREENSHOT.stat().st_size > 0
