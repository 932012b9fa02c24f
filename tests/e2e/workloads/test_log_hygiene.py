"""No card data and no secret reaches a log or the trace store, whatever the saga did.

An order is paid with a card token made up for this test, and run to its end; then every log file
of the local stack (services, servers, supervisor) and the order's trace in Zipkin are searched
for that token and for the stack's secrets (database and Redis passwords, the admin token).
"""

from __future__ import annotations

import uuid

from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.e2e.workloads.test_one_trace_per_order import (
    CONFIRMED_PATH,
    stored_trace,
    trace_id_of,
)


async def test_card_tokens_and_secrets_never_reach_logs_or_traces(client: SagaClient) -> None:
    card = f"tok_{uuid.uuid4().hex}"
    product = await client.seed(available=3)
    response = await client.place(product, 1, card=card)
    assert response.status_code == 202
    trace_id = trace_id_of(response.headers)
    assert (await client.wait_terminal(response.json()["order_id"]))["status"] in SUCCEEDED
    spans = await stored_trace(client, trace_id, CONFIRMED_PATH)  # every hop has run and logged

    stack = client.stack
    secrets = {
        "card token": card,
        "admin token": stack.admin_token(),
        "redis password": stack.redis.password(),
        "postgres admin password": stack.postgres.admin_password(),
        **{
            f"{name} database password": stack.postgres.service_password(name)
            for name in ("order", "inventory", "payment", "notification")
        },
    }
    logs = sorted((stack.settings.state_dir / "logs").glob("*.log"))
    assert {"order-0.log", "payment-0.log", "otel-collector.log"} <= {p.name for p in logs}
    leaks = [
        f"{what} in {path.name}"
        for path in logs
        for what, value in secrets.items()
        if value in path.read_text(errors="replace")
    ]
    stored = str(spans)
    leaks += [f"{what} in trace {trace_id}" for what, value in secrets.items() if value in stored]
    assert not leaks
