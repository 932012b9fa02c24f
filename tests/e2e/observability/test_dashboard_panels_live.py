"""Every panel of every committed dashboard shows data on the live stack under load.

The saga load driver (loadtests/saga.py) sends orders for about 40 s, customers read some of
them back (`GET /v1/orders/{id}`: the driver itself only writes), one poison message is
dead-lettered (the only fault the dashboards count: DLQ and retry panels stay empty without one),
and every panel's query then runs against the local Prometheus as Grafana would run it over the
last 15 minutes (`query_range`, the dashboard's variables replaced by values they take): each
must return at least one series with a real number. A panel allowed to stay empty is listed in
EXEMPT with its reason; there are none today.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

import httpx

from loadtests.saga import Plan, drive
from operators.dashboards import files
from operators.diagnostics.prometheus import PrometheusApi
from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import publish_raw, wait_dead_letter
from tests.support.eventually import eventually

READS = 60  # GET /v1/orders/{id} after the saga load, for the read-latency panels
GET_SERIES = 'conveyor_http_request_duration_seconds_count{workload="order",method="GET"}'
WINDOW_S = 900.0
STEP_S = 15.0
SUBSTITUTES = {
    "$__rate_interval": "1m",
    "$__range": "15m",
    "$workload": ".*",
}
# (dashboard file, panel title) -> why it may show nothing on a healthy stack under load.
EXEMPT: dict[tuple[str, str], str] = {}


def concrete(expr: str) -> str:
    for variable, value in SUBSTITUTES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a variable without a test value: {expr}"
    return expr


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, PromQL) for every query of every committed dashboard."""
    found = []
    for name in sorted(files.DASHBOARDS):
        board: dict[str, Any] = json.loads((files.DASHBOARDS_DIR / name).read_text("utf-8"))
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                found.append((name, panel["title"], concrete(str(target["expr"]))))
    return found


def has_data(api: PrometheusApi, expr: str) -> bool:
    now = time.time()
    series = api.query_range(expr, start=now - WINDOW_S, end=now, step_s=STEP_S)
    return any(not math.isnan(v) for s in series for _, v in s.points)


async def test_every_dashboard_panel_has_data_under_load(stack: LocalStack) -> None:
    key = f"poison-{uuid.uuid4()}"
    await publish_raw(stack, "payments.commands", b"\x00 not an envelope", key=key)
    await wait_dead_letter(stack, "payments.commands.dlq", key=key)
    outcome = await drive(stack, Plan(orders=600, rate_per_s=15.0), lambda _: None)
    assert outcome.lost == 0, f"{outcome.lost} orders never ended"
    api = PrometheusApi(f"http://{stack.prometheus.address}")
    async with httpx.AsyncClient(timeout=10) as http:  # customers look at their orders, too

        async def read(order_id: str) -> None:
            response = await http.get(f"{stack.workloads.url('order')}/v1/orders/{order_id}")
            assert response.status_code == 200, response.text

        # The first read makes the GET series; Prometheus scrapes it before the others, or on a
        # fresh stack it appears at its final count and rate() sees no increase (p99 = NaN).
        await read(outcome.accepted[0])
        read_at = time.time()

        async def get_series_scraped() -> None:
            scraped = api.query(f"timestamp({GET_SERIES}) > {read_at}")
            assert scraped, "no scrape of the order service's GET series since the first read"

        await eventually(get_series_scraped, within_s=60, every_s=1)
        for order_id in outcome.accepted[1:READS]:
            await read(order_id)
    queries = panel_queries()
    assert queries, "no panel queries found"

    async def every_panel_has_data() -> None:
        empty = [
            f"{name} / {title}: {expr}"
            for name, title, expr in queries
            if (name, title) not in EXEMPT and not has_data(api, expr)
        ]
        assert not empty, "panels without data:\n" + "\n".join(empty)

    try:
        # The SLO records are evaluated every few seconds after the last scrape: wait for them.
        await eventually(every_panel_has_data, within_s=60, every_s=5)
    finally:
        api.close()
