"""Every service's /metrics passes `promtool check metrics`: Prometheus's own naming lint.

promtool reads the exposition on stdin and prints one line per problem (a counter without
`_total`, a unit missing from a name, a metric without help); no output and exit 0 means clean.
A known-bad exposition proves the check bites. promtool comes with Debian's `prometheus`.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.e2e.workloads.saga_client import SagaClient

WORKLOADS = ("order", "inventory", "payment", "notification")


def _lint(exposition: str) -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: sudo apt-get install prometheus (or make up)")
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return (result.stdout + result.stderr).strip() + ("" if result.returncode == 0 else " (exit)")


async def test_every_services_metrics_pass_promtool_check_metrics(client: SagaClient) -> None:
    problems = {}
    for name in WORKLOADS:
        response = await client.http.get(client.url(name, "/metrics"))
        response.raise_for_status()
        for family in ("conveyor_http_requests_total", "conveyor_db_pool_connections_in_use"):
            assert family in response.text, f"{name} does not export {family}"
        problems[name] = _lint(response.text)
    assert problems == dict.fromkeys(WORKLOADS, "")


def test_promtool_check_metrics_names_a_badly_named_counter() -> None:
    bad = "# HELP conveyor_orders a counter\n# TYPE conveyor_orders counter\nconveyor_orders 1\n"
    assert "conveyor_orders" in _lint(bad)
