"""The run verdict: an SLO passes at or above its objective and a breach says by how much."""

from __future__ import annotations

from loadtests.load.verdict import Measured, failures_check, lost_check, passed, slo_checks
from operators.pipeline.slos.files import load
from operators.pipeline.slos.model import SloFile


def _specs() -> list[SloFile]:
    return list(load().values())


def test_every_slo_of_the_specs_is_judged() -> None:
    measured = {
        "checkout/availability": Measured(0, 100),
        "checkout/latency": Measured(1, 100),
        "checkout/saga-completion": Measured(0, 12),
        "conveyor/http-availability": Measured(0, 500),
    }
    checks = slo_checks(_specs(), measured)
    assert [c.name for c in checks] == list(measured)
    assert passed(checks)


def test_a_breach_names_the_slo_and_by_how_much() -> None:
    checks = slo_checks(_specs(), {"checkout/latency": Measured(bad=5, total=200)})
    (latency,) = checks
    assert not latency.passed
    assert latency.name == "checkout/latency"
    assert latency.detail == (
        "97.50% good of 200, objective 99%: short by 1.50 points (5 bad, 2 allowed)"
    )


def test_a_window_without_events_passes_and_says_so() -> None:
    (check,) = slo_checks(_specs(), {"checkout/availability": Measured(0, 0)})
    assert check.passed
    assert check.detail == "no events in the window"


def test_one_lost_order_fails_the_run() -> None:
    assert not lost_check(1, 300).passed
    assert lost_check(0, 300).passed


def test_client_side_failures_count_against_the_availability_objective() -> None:
    assert failures_check(0, 1000, objective=99.9).passed
    assert failures_check(1, 1000, objective=99.9).passed
    assert not failures_check(2, 1000, objective=99.9).passed
