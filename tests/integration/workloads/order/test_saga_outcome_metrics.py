"""A saga's outcome is counted once it committed: a rolled-back and replayed reply counts once.

The reply that ends a saga (PaymentCompleted -> CONFIRMED) is applied in a transaction that then
fails, as a consumer's transaction does when the inbox claim or the offset bookkeeping fails after
the handler ran; the consumer replays it. `conveyor_saga_outcomes_total` and the duration
histogram must count the saga once, for the committed attempt only.
"""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY

from tests.integration.workloads.order.test_sweeper import RESERVED, STEP_TIMEOUT_S, _order
from workloads.contracts import events as ev
from workloads.order import handlers
from workloads.shared.database import Pool, transaction
from workloads.shared.messaging.envelope import Envelope


class _AfterApplyError(Exception):
    pass


def _confirmed() -> tuple[float, float]:
    labels = {"outcome": "confirmed"}
    outcomes = REGISTRY.get_sample_value("conveyor_saga_outcomes_total", labels) or 0.0
    durations = REGISTRY.get_sample_value("conveyor_saga_duration_seconds_count", labels) or 0.0
    return outcomes, durations


async def _pay(pool: Pool, order_id: str, *, fail_after: bool) -> None:
    paid = ev.PaymentCompleted(order_id=order_id, payment_id=str(uuid.uuid4()), amount_cents=1000)
    async with transaction(pool) as conn:
        await handlers.apply_reply(
            conn,
            paid,
            cause=Envelope.wrap(paid, correlation_id="outcome-test"),
            step_timeout_s=STEP_TIMEOUT_S,
        )
        if fail_after:
            raise _AfterApplyError


async def test_a_rolled_back_then_replayed_confirmation_counts_once(order_pool: Pool) -> None:
    order_id = await _order(order_pool, RESERVED)
    before = _confirmed()
    with pytest.raises(_AfterApplyError):
        await _pay(order_pool, order_id, fail_after=True)
    assert _confirmed() == before, "an outcome was counted for a rolled-back transaction"
    await _pay(order_pool, order_id, fail_after=False)  # the replay
    assert _confirmed() == (before[0] + 1, before[1] + 1)
