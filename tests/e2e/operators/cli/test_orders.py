"""`conveyor orders inspect | stuck` on a deliberately stuck order: payment held down.

The order reserves its stock and then waits for a payment service that has no replica; the
command must say so, show the steps and events, find the order's trace id on Kafka, list it as
stuck, and tell an unknown id or a stack that is down apart from a stuck order.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually

CONVEYOR = str(Path(sys.executable).parent / "conveyor")
WAITING = re.compile(
    r"^waiting for (payment|the refund): payment service has 0 ready replicas; "
    r"command sent \d+ s ago"
)


def conveyor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


async def test_a_stuck_order_is_explained_and_listed(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    product = await client.seed(available=5)
    stack.workloads.hold("payment", 0)
    order_id = await client.place_ok(product, 1)

    async def waiting_for_payment() -> None:
        order = await client.order(order_id)
        assert order["saga_step"] == "PROCESSING_PAYMENT", order

    await eventually(waiting_for_payment, within_s=30)

    inspected = conveyor("orders", "inspect", order_id, "--json")
    assert inspected.returncode == 0, inspected.stdout + inspected.stderr
    view = json.loads(inspected.stdout)
    assert WAITING.match(view["verdict"]), view["verdict"]
    assert view["status"] in {"PENDING", "CANCELLING"}, view
    assert [e["type"] for e in view["events"]][:2] == ["OrderPlaced", "InventoryReserved"]
    steps = view["steps"]
    assert steps[0]["step"] == "RESERVING_INVENTORY", steps
    assert steps[0]["seconds"] is not None, steps
    assert steps[-1]["seconds"] is None, f"the current step has no end yet: {steps}"
    assert view["dead_letters"] == []
    assert re.fullmatch(r"[0-9a-f]{32}", view["trace_id"] or ""), view["trace_id"]

    listed = conveyor("orders", "stuck", "--older-than", "0s")
    assert listed.returncode == 0, listed.stderr
    assert order_id in listed.stdout

    stack.workloads.release("payment", 0)
    await client.wait_terminal(order_id, timeout_s=90)
    ended = json.loads(conveyor("orders", "inspect", order_id, "--json").stdout)
    assert ended["verdict"].startswith("not stuck:"), ended["verdict"]
    assert order_id not in conveyor("orders", "stuck", "--older-than", "0s").stdout


def test_an_unknown_order_is_named_and_exits_2(stack: LocalStack) -> None:
    result = conveyor("orders", "inspect", "00000000-0000-0000-0000-000000000000")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no order '00000000-0000-0000-0000-000000000000'" in result.stdout


def test_a_stack_that_is_down_names_the_command_that_starts_it(stack: LocalStack) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        free = str(probe.getsockname()[1])
    for args in (("orders", "inspect", "some-order"), ("orders", "stuck")):
        result = conveyor(*args, env={"CONVEYOR_POSTGRES_PORT": free})
        assert result.returncode == 1, result.stdout + result.stderr
        assert "did not answer" in result.stdout, result.stdout
        assert "conveyor local up" in result.stdout, result.stdout
