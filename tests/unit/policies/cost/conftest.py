"""The small hand-written synth graph and test-owned usage assumptions with round numbers.

The tests use the real price table (so a changed price is noticed) but their own usage, so the
hand-computed figures in the tests do not move when assumptions.yaml is tuned.
"""

from __future__ import annotations

from typing import Any

import pytest

from operators.paths import REPO_ROOT
from policies.cost.files import read_graph
from policies.cost.tables import AssumptionFile, parse_assumptions
from policies.synth_graph import Graph
from tests.support.cost_tables import prices, real_assumptions

__all__ = ["prices", "real_assumptions"]

SMALL = REPO_ROOT / "tests" / "fixtures" / "cost-synth-small.json"


def small_usage() -> dict[str, Any]:
    return {
        "orders_per_day": 1200,  # x 730 / 24 = 36,500 orders a month
        "nat_gb": {"fixed": 10, "per_1000_orders": 2},  # 10 + 73 = 83 GB
        "interface_endpoint_gb": {"fixed": 5, "per_1000_orders": 0},
        "internet_out_gb": {"fixed": 20, "per_1000_orders": 0},
        "kafka_client_fanout": 2,
        "log_ingest_gb": {
            "network": {"fixed": 4, "per_1000_orders": 0},
            "cluster": {"fixed": 2, "per_1000_orders": 0},
        },
        "kms_requests": {"fixed": 100_000, "per_1000_orders": 0},
        "secrets_api_calls_per_secret": 10_000,
        "load_balancer_lcu": 1,
        "bucket_gb": 5,
    }


@pytest.fixture
def assumptions(real_assumptions: AssumptionFile) -> AssumptionFile:
    """The real file's load/benchmark sections with a `small` env of round usage figures,
    and a benchmark of exactly 10 events per order and round CPU seconds per 1,000 orders."""
    data = real_assumptions.model_dump(mode="json")
    data["benchmark"] = {
        "source": "test",
        "cpu_seconds_per_1000_orders": {"app": 10, "database": 5, "streaming": 2},
        "events_per_order": 10,
    }
    data["load"]["event_bytes"] = 1000
    data["defaults"] = small_usage()
    data["envs"] = {"small": {}}
    return parse_assumptions(data)


@pytest.fixture
def small() -> Graph:
    return read_graph(SMALL)
