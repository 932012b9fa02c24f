"""The fake card provider as the stack runs it: a process on its port, its ledger on disk."""

from __future__ import annotations

import uuid

import httpx
from rich.console import Console

from operators.local.stack import LocalStack


def _charge(stack: LocalStack, key: str, order_id: str) -> httpx.Response:
    body = {"order_id": order_id, "amount_cents": 700, "card_token": "tok_visa"}
    return httpx.post(
        f"{stack.payment_provider.url}/v1/charges",
        json=body,
        headers={"Idempotency-Key": key},
        timeout=10,
    )


def test_a_charge_and_its_key_survive_a_restart_of_the_provider(
    stack: LocalStack, quiet: Console
) -> None:
    order_id = f"it-{uuid.uuid4()}"
    first = _charge(stack, f"charge:{order_id}", order_id)
    assert first.status_code == 201, first.text

    assert stack.payment_provider.stop()
    assert stack.payment_provider.start(quiet)

    again = _charge(stack, f"charge:{order_id}", order_id)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    ledger = httpx.get(
        f"{stack.payment_provider.url}/v1/ledger", params={"order_id": order_id}, timeout=10
    ).json()
    assert ledger["orders"][order_id]["charges"] == 1


def test_no_http_call_changes_the_providers_behaviour(stack: LocalStack) -> None:
    # failure and latency come only from the flags file the stack owns (ADR 0036)
    before = httpx.get(f"{stack.payment_provider.url}/v1/behaviour", timeout=10).json()
    response = httpx.put(
        f"{stack.payment_provider.url}/v1/admin/behaviour",
        json={"latency_ms": 0, "failure_rate": 1.0},
        timeout=10,
    )
    assert response.status_code in {404, 405}
    assert httpx.get(f"{stack.payment_provider.url}/v1/behaviour", timeout=10).json() == before
