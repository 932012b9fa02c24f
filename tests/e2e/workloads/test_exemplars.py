"""Histograms carry exemplars with the trace id of the request or message they measured.

The order service answers OpenMetrics (with exemplars) when asked, and the local Prometheus, which
asks and stores exemplars, returns them from its exemplar API: a slow bucket leads to a trace.
"""

from __future__ import annotations

import re
import time

import httpx

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TRACE_ID = re.compile(r'# \{trace_id="([0-9a-f]{32})"\}')


async def test_the_saga_and_http_histograms_carry_trace_ids_into_prometheus(
    client: SagaClient, stack: LocalStack
) -> None:
    product = await client.seed(available=1)
    order_id = await client.place_ok(product, 1)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED

    response = await client.http.get(
        client.url("order", "/metrics"), headers={"Accept": OPENMETRICS}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    lines = response.text.splitlines()
    for family in (
        "conveyor_saga_duration_seconds_bucket",
        "conveyor_http_request_duration_seconds_bucket",
    ):
        assert any(line.startswith(family) and TRACE_ID.search(line) for line in lines), (
            f"no {family} sample carries a trace id"
        )

    async def stored() -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.get(
                f"http://{stack.prometheus.address}/api/v1/query_exemplars",
                params={
                    "query": 'conveyor_saga_duration_seconds_bucket{outcome="confirmed"}',
                    "start": str(time.time() - 600),
                    "end": str(time.time() + 60),
                },
            )
        data = answer.json()["data"]
        ids = [e["labels"].get("trace_id", "") for series in data for e in series["exemplars"]]
        assert any(len(i) == 32 for i in ids), f"Prometheus holds no exemplar yet: {data}"

    await eventually(stored, within_s=30, every_s=1)
