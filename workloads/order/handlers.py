"""The order service layer: load, decide and persist an order in one transaction.

Every way an order changes — a placement, a customer's cancel, a saga reply from Kafka, an expired
step deadline — goes through `advance`: the pure saga (`domain/saga.py`) decides, then its events,
the new snapshot, the next step's deadline and the outgoing messages (outbox) are written in the
caller's transaction, so they commit together or not at all. `SELECT … FOR UPDATE` on the order's
row serialises everything that touches one order (replies from different topics, the timeout
sweeper, a customer's cancel), and the (order_id, seq) primary key of the event store would reject
a second writer even if that lock were forgotten.

Errors a client can act on are raised as `ProblemError` (404, 409, 422); anything else propagates,
rolls the transaction back, and is retried by whoever called (consumer retries, the next sweep).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from workloads.contracts import events as ev
from workloads.order.adapters import idempotency, products, store
from workloads.order.domain.order import OrderState, Step
from workloads.order.domain.saga import (
    CancellationRefusedError,
    CancelRequested,
    Decision,
    PlaceOrder,
    Reply,
    StepTimedOut,
    Trigger,
    decide,
)
from workloads.order.schemas import (
    OrderAccepted,
    OrderEventView,
    OrderHistory,
    OrderIn,
    OrderLineView,
    OrderView,
)
from workloads.shared import metrics
from workloads.shared.database import Connection, Pool, transaction
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError

log = logging.getLogger(__name__)


def _not_found(order_id: str) -> ProblemError:
    return ProblemError(404, "Order not found", f"No order {order_id}.")


async def advance(
    conn: Connection,
    state: OrderState,
    trigger: Trigger,
    *,
    cause: Envelope | None,
    correlation_id: str,
    step_timeout_s: float,
) -> Decision:
    """Decide and persist: events, snapshot, deadline and outgoing messages, atomically."""
    decision = decide(state, trigger)
    if not decision.events:
        return decision
    new_state = decision.state_after(state)
    deadline = datetime.now(UTC) + timedelta(seconds=step_timeout_s) if new_state.step else None
    await store.save(conn, state, decision.events, new_state, deadline=deadline)
    for message in decision.messages:
        envelope = (
            cause.follow_up(message)
            if cause is not None
            else Envelope.wrap(message, correlation_id=correlation_id)
        )
        await outbox.append(conn, envelope, key=state.order_id)
    if decision.outcome and new_state.placed_at:
        elapsed = time.time() - new_state.placed_at.timestamp()
        metrics.saga_outcomes.labels(decision.outcome).inc()
        metrics.saga_duration.labels(decision.outcome).observe(max(elapsed, 0.0))
    return decision


async def place_order(
    pool: Pool,
    order: OrderIn,
    *,
    idempotency_key: str,
    correlation_id: str,
    step_timeout_s: float,
) -> OrderAccepted:
    """Start an order's saga, once per idempotency key; the same key and body replay the answer.

    409 when the key was used with another body; 422 when a product is not (yet) sellable.
    """
    request_hash = hashlib.sha256(
        json.dumps(order.model_dump(), sort_keys=True).encode()
    ).hexdigest()
    async with transaction(pool) as conn:
        claim = await idempotency.claim(
            conn, idempotency_key, request_hash=request_hash, order_id=str(uuid.uuid4())
        )
        if claim is None:
            raise ProblemError(500, "Internal error", "The idempotency record was not written.")
        if claim.replayed:
            if claim.request_hash != request_hash:
                raise ProblemError(
                    409,
                    "Idempotency key reused",
                    "This Idempotency-Key was used with a different request body.",
                )
            state = await store.load(conn, claim.order_id, lock=False)
            return OrderAccepted(
                order_id=claim.order_id, status=state.status if state else "PENDING"
            )
        ids = [item.product_id for item in order.items]
        prices = await products.prices(conn, ids)
        unknown = [pid for pid in ids if pid not in prices]
        if unknown:
            raise ProblemError(
                422, "Unknown products", "Some products do not exist.", unknown=unknown
            )
        lines = [
            ev.PricedOrderLine(
                product_id=i.product_id, quantity=i.quantity, unit_price_cents=prices[i.product_id]
            )
            for i in order.items
        ]
        trigger = PlaceOrder(order.customer_id, lines, order.payment.card_token, datetime.now(UTC))
        await advance(
            conn,
            OrderState(order_id=claim.order_id),
            trigger,
            cause=None,
            correlation_id=correlation_id,
            step_timeout_s=step_timeout_s,
        )
    return OrderAccepted(order_id=claim.order_id, status="PENDING")


async def cancel_order(
    pool: Pool, order_id: str, *, correlation_id: str, step_timeout_s: float
) -> OrderAccepted:
    """Compensate an order on the customer's request; 404 unknown, 409 once it has shipped."""
    async with transaction(pool) as conn:
        state = await store.load(conn, order_id, lock=True)
        if state is None:
            raise _not_found(order_id)
        try:
            await advance(
                conn,
                state,
                CancelRequested(),
                cause=None,
                correlation_id=correlation_id,
                step_timeout_s=step_timeout_s,
            )
        except CancellationRefusedError as exc:
            raise ProblemError(409, "Order cannot be cancelled", str(exc)) from exc
        after = await store.load(conn, order_id, lock=False)
    return OrderAccepted(order_id=order_id, status=after.status.value if after else "UNKNOWN")


async def apply_reply(
    conn: Connection, reply: Reply, *, cause: Envelope, step_timeout_s: float
) -> None:
    """Feed a saga reply (or a shipment) to its order; replies for unknown orders are ignored."""
    state = await store.load(conn, reply.order_id, lock=True)
    if state is None:
        return  # not an order of ours
    await advance(
        conn,
        state,
        reply,
        cause=cause,
        correlation_id=cause.correlation_id,
        step_timeout_s=step_timeout_s,
    )


async def record_product(conn: Connection, product: ev.ProductStocked) -> None:
    """Keep the local price list current (the last `ProductStocked` per product wins)."""
    await products.record(conn, product.product_id, price_cents=product.price_cents)


async def time_out_overdue_steps(pool: Pool, *, step_timeout_s: float, limit: int = 50) -> int:
    """Trigger the saga of up to `limit` orders whose step deadline passed; returns how many.

    Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several replicas sweep without doing the
    same order twice, and an order being handled by a consumer right now is simply skipped this
    round.
    """
    async with transaction(pool) as conn:
        rows = await store.claim_overdue(conn, limit)
        for row in rows:
            state = await store.load(conn, row["order_id"], lock=False)
            if state is None or state.step is None:
                continue
            log.warning("order %s timed out in %s", state.order_id, state.step.value)
            await advance(
                conn,
                state,
                StepTimedOut(Step(row["saga_step"])),
                cause=None,
                correlation_id=f"timeout-{state.order_id}",
                step_timeout_s=step_timeout_s,
            )
    return len(rows)


async def get_order(pool: Pool, order_id: str) -> OrderView:
    """The order's read model; 404 when there is none."""
    async with pool.acquire() as conn:
        row = await store.read_model(conn, order_id)
    if row is None:
        raise _not_found(order_id)
    snapshot = json.loads(row["snapshot"])
    return OrderView(
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        status=row["status"],
        saga_step=row["saga_step"],
        items=[OrderLineView(**line) for line in snapshot["lines"]],
        total_cents=row["total_cents"],
        cancel_reason=snapshot["cancel_reason"],
        version=row["version"],
        created_at=row["created_at"].isoformat(),
        updated_at=row["updated_at"].isoformat(),
    )


async def order_history(pool: Pool, order_id: str) -> OrderHistory:
    """Every stored event of the order, payment instruments redacted; 404 when there are none."""
    async with pool.acquire() as conn:
        rows = await store.history(conn, order_id)
    if not rows:
        raise _not_found(order_id)
    return OrderHistory(
        order_id=order_id,
        events=[
            OrderEventView(
                seq=r["seq"],
                type=r["event_type"],
                data=_redacted(json.loads(r["data"])),
                occurred_at=r["occurred_at"].isoformat(),
            )
            for r in rows
        ],
    )


def _redacted(data: dict[str, object]) -> dict[str, object]:
    """Payment instruments stay in the event store; they are never served back."""
    return {k: ("[redacted]" if k == "card_token" else v) for k, v in data.items()}
