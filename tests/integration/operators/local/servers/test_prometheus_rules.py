"""The local Prometheus loads the committed SLO rules and evaluates them on live traffic.

Every group of observability/rules/*.yaml must be loaded (by file) and healthy, and after a few
real requests to the order service the availability SLO's recording rule for all workloads must
hold a value: the rule files are not only parsed but evaluated against the scraped series.
"""

from __future__ import annotations

import uuid

import httpx
import yaml

from operators.local.stack import LocalStack
from operators.pipeline.slos.files import RULE_DIR
from tests.support.eventually import eventually_sync


def _get(stack: LocalStack, path: str, **params: str) -> dict[str, object]:
    url = f"http://{stack.prometheus.address}{path}"
    response = httpx.get(url, params=params, timeout=5)
    response.raise_for_status()
    data: dict[str, object] = response.json()["data"]
    return data


def test_every_committed_rule_group_is_loaded_and_healthy(stack: LocalStack) -> None:
    committed = {
        group["name"]
        for path in RULE_DIR.glob("*.yaml")
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    }
    assert committed
    groups = _get(stack, "/api/v1/rules")["groups"]
    assert isinstance(groups, list)
    loaded = {g["name"]: g for g in groups}
    assert committed <= set(loaded), f"not loaded: {sorted(committed - set(loaded))}"
    for name in committed:
        assert loaded[name]["file"].startswith(str(RULE_DIR)), loaded[name]["file"]


def test_a_recording_rule_has_a_value_after_real_traffic(stack: LocalStack) -> None:
    order = stack.workloads.url("order")
    query = 'slo:sli_events:increase5m{service="conveyor",slo="http-availability"}'

    def evaluated() -> float:
        # An unknown order: a 404, a request the SLI counts. Sent while waiting, because a rate
        # needs two scrapes of a series that grew between them.
        assert httpx.get(f"{order}/v1/orders/{uuid.uuid4()}", timeout=5).status_code == 404
        # Evaluated now, not a sample left in the TSDB by an earlier run: its age is asked too.
        fresh = f"{query} and time() - timestamp({query}) < 20"
        result = _get(stack, "/api/v1/query", query=fresh)["result"]
        assert isinstance(result, list)
        assert result, f"{query} has no fresh value yet"
        value = float(result[0]["value"][1])
        assert value > 0, f"{query} = {value}"
        return value

    eventually_sync(evaluated, within_s=60, every_s=1)
