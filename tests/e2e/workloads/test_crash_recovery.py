"""SIGKILL a service in the middle of sagas: after a restart every order still ends, correctly."""

from __future__ import annotations

import asyncio

import pytest

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import lag
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually
from workloads.contracts.registry import spec_of
from workloads.inventory.consumers import READS as INVENTORY
from workloads.order.consumers import SAGA_READS
from workloads.payment.consumers import READS as PAYMENT

ORDERS = 30
VICTIMS = {  # workload -> the consumer group that carries its part of the saga, and what it reads
    "inventory": ("inventory", INVENTORY["inventory"]),
    "payment": ("payment", PAYMENT["payment"]),
    "order": ("order-saga", list(SAGA_READS.values())),
}


@pytest.mark.parametrize("victim", ["inventory", "payment", "order"])
async def test_sigkill_mid_saga_then_restart_every_order_reaches_a_terminal_state(
    client: SagaClient, workloads_restored: LocalStack, victim: str
) -> None:
    stack = workloads_restored
    product = await client.seed(available=100)
    cards = ["tok_decline" if i % 5 == 0 else "tok_visa" for i in range(ORDERS)]
    orders = await asyncio.gather(*(client.place_ok(product, 1, card=c) for c in cards))

    stack.workloads.hold(victim, 0)  # SIGKILL, and keep it down while sagas need it
    group, reads = VICTIMS[victim]
    topics = {spec_of(r.message_type).topic for r in reads}

    async def work_waits_for_the_victim() -> None:  # so the restart must pick sagas up mid-way
        waiting = await lag(stack, group, topics)
        assert waiting > 0, f"nothing waits for {victim} while it is down"

    await eventually(work_waits_for_the_victim, within_s=30)
    stack.workloads.release(victim, 0)

    finals = await asyncio.gather(*(client.wait_terminal(o, timeout_s=120) for o in orders))
    statuses = [f["status"] for f in finals]
    declined = {o for o, c in zip(orders, cards, strict=True) if c == "tok_decline"}
    for order, final in zip(orders, finals, strict=True):
        if order in declined:
            assert final["status"] == "CANCELLED", f"{order}: {final}"
        elif final["status"] not in SUCCEEDED:  # only if the outage outlasted a step timeout
            assert final["cancel_reason"].startswith("timed out"), f"{order}: {final}"
    confirmed = sum(status in SUCCEEDED for status in statuses)
    assert confirmed > 0
    assert (await client.stock(product))["available"] == 100 - confirmed

    payments = await asyncio.gather(*(client.payment(o) for o in orders))
    for order, payment in zip(orders, payments, strict=True):
        assert payment is not None
        status = finals[orders.index(order)]["status"]
        if payment is None:
            assert status == "CANCELLED", f"{order} confirmed without a payment"
            continue
        charges = [e for e in payment["ledger"] if e["kind"] == "charge"]
        net = sum(e["amount_cents"] for e in payment["ledger"])
        assert len(charges) <= 1, f"{order} charged twice"
        assert net == (1000 if status in SUCCEEDED else 0), f"{order}: {payment}"
