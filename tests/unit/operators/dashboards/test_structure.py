"""What every committed dashboard promises: real metric names, the datasource and workload
variables, probes left out of request SLIs, the SLO windows of the alerts, a sound grid."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.metrics import MetricWrapperBase

from operators.dashboards import files, promql
from operators.pipeline.slos import records
from operators.pipeline.slos.files import bundled
from workloads.shared import metrics

SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}
CONVEYOR_NAME = re.compile(r"\bconveyor_[a-z_]+\b")
SLO_RECORD = re.compile(r"\bslo:[a-z_]+:[a-z_0-9]+\b")  # the generated SLO records
QUERY_PANELS = frozenset({"timeseries", "stat"})


def exported_series() -> set[str]:
    """Every series name workloads/shared/metrics.py exposes on /metrics."""
    names = set()
    for collector in vars(metrics).values():
        if isinstance(collector, MetricWrapperBase):
            for family in collector.describe():
                names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def committed(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((files.DASHBOARDS_DIR / name).read_text(encoding="utf-8"))
    return loaded


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def expressions(dashboard: dict[str, Any]) -> Iterator[str]:
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield str(target["expr"])


@pytest.fixture(params=sorted(files.DASHBOARDS))
def dashboard(request: pytest.FixtureRequest) -> dict[str, Any]:
    return committed(str(request.param))


def test_every_query_names_a_series_the_services_export(dashboard: dict[str, Any]) -> None:
    exported = exported_series()
    used = {name for expr in expressions(dashboard) for name in CONVEYOR_NAME.findall(expr)}
    recorded = all(SLO_RECORD.search(expr) for expr in expressions(dashboard))
    assert used or recorded, "a dashboard without a single Conveyor series or SLO record"
    assert used <= exported, f"not exported by workloads/shared/metrics.py: {used - exported}"


def test_a_renamed_metric_would_be_caught() -> None:
    assert "conveyor_http_requests_total" in exported_series()
    assert "conveyor_http_request_total" not in exported_series()


def test_every_query_panel_reads_the_datasource_variable(dashboard: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in panels(dashboard):
        if panel["type"] in QUERY_PANELS:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], panel["title"]


def test_every_dashboard_filters_by_workload(dashboard: dict[str, Any]) -> None:
    workload = next(v for v in dashboard["templating"]["list"] if v["name"] == "workload")
    assert workload["type"] == "query"
    assert workload["multi"]
    assert workload["includeAll"]
    assert workload["datasource"]["uid"] == "${datasource}"
    for expr in expressions(dashboard):
        if CONVEYOR_NAME.search(expr):
            assert 'workload=~"$workload"' in expr or 'workload="order"' in expr, expr


def test_request_slis_leave_out_probes(dashboard: dict[str, Any]) -> None:
    http = (promql.HTTP_REQUESTS, promql.HTTP_DURATION)
    for expr in expressions(dashboard):
        for selector in re.findall(r"conveyor_http_[a-z_]+\{([^}]*)\}", expr):
            assert promql.NOT_PROBES in selector or 'route="/v1/orders"' in selector, expr
        assert any(m in expr for m in http) or "conveyor_http" not in expr


def test_the_slo_overview_draws_every_window_of_the_burn_rate_alerts() -> None:
    overview = "\n".join(expressions(committed("slo-overview.json")))
    for long, short, _ in promql.PAGE_PAIRS + promql.TICKET_PAIRS:
        assert records.error_ratio_record(long) in overview
        assert records.error_ratio_record(short) in overview
    assert f"[{records.BUDGET_WINDOW}:" in overview


def test_the_slo_overview_reads_the_recorded_slis_of_every_measured_slo() -> None:
    overview = "\n".join(expressions(committed("slo-overview.json")))
    assert "conveyor_" not in overview, "an SLO panel computes its own SLI from a raw metric"
    for file in bundled():
        for slo in file.slos:
            sel = records.slo_selector(file.service, slo.name)
            assert (sel in overview) is (slo.sli.missing is None), sel


def test_panels_have_unique_ids_and_fit_the_grid(dashboard: dict[str, Any]) -> None:
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_each_dashboard_has_its_own_uid() -> None:
    uids = [committed(name)["uid"] for name in files.DASHBOARDS]
    assert len(uids) == len(set(uids))
