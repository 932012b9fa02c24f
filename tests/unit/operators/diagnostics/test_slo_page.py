"""The SLO report page: one section per SLO, inline and script-free, honest about missing data."""

from __future__ import annotations

import math

from operators.diagnostics.slo_page import render
from operators.diagnostics.slo_state import AlertState, SloState

NOW = 1_800_000_000.0


def states() -> list[SloState]:
    points = tuple((NOW - 3600 + 15 * i, 0.995 if i % 7 else math.nan) for i in range(241))
    measured = SloState(
        "checkout",
        "latency",
        "Confirmed within 5 s.",
        99.0,
        "CheckoutLatency",
        recorded=True,
        sli_5m=0.995,
        sli_1h=math.nan,
        events_1h=1200,
        budget_remaining=-0.5,
        burn={"5m": 0.5, "1h": 20.0},
        alerts=(
            AlertState("CheckoutLatencyBurnRatePage", "page", "firing", ((NOW - 60, "firing"),)),
        ),
        sli_chart=points,
        budget_chart=points,
        burn_chart={"5m": points},
    )
    missing = SloState("checkout", "saga-completion", "No order stuck.", 99.9, missing="No gauge.")
    return [measured, missing]


def test_each_slo_has_a_section_and_the_page_needs_nothing_else() -> None:
    page = render(states(), prometheus_url="http://127.0.0.1:19090", now=NOW)
    assert 'data-slo="checkout/latency"' in page
    assert 'data-slo="checkout/saga-completion"' in page
    assert "<script" not in page
    assert "http://" not in page.replace("http://127.0.0.1:19090", "").replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert page.count('<svg class="chart') == 4


def test_missing_values_say_no_data_and_an_unmeasured_slo_says_why() -> None:
    page = render(states(), prometheus_url="p", now=NOW)
    assert "last hour: no data" in page
    assert "Not measured.</b> Objective 99.9 %. No gauge." in page
    assert "-50.0 %" in page  # an overspent budget is shown, not clipped
    assert "CheckoutLatencyBurnRatePage: firing" in page
