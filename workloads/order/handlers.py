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
The timeout sweeper handles each order of its batch in a savepoint of its own: one order that
fails is rolled back alone, logged with its id, retried with back-off and parked after
`retries` failed rounds; the rest of the batch commits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from opentelemetry.trace import SpanKind

from workloads.contracts import events as ev
from workloads.order import metrics as saga_metrics
from workloads.order.adapters import idempotency, products, store
from workloads.order.domain.order import OrderState, Step
from workloads.order.domain.saga import (
    BACKOFF_MAX_S,
    COMPENSATION_RETRIES,
    CancellationRefusedError,
    CancelRequested,
    Decision,
    PlaceOrder,
    Reply,
    StepTimedOut,
    Trigger,
    decide,
    retry_wait_s,
    step_wait_s,
)
from workloads.order.queries import token_for
from workloads.order.schemas import (
    OrderAccepted,
    OrderEventView,
    OrderHistory,
    OrderIn,
    OrderLineView,
    OrderView,
)
from workloads.shared import metrics
from workloads.shared.database import Connection, Pool, after_commit, savepoint, transaction
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError
from workloads.shared.telemetry import handling, trace_headers

log = logging.getLogger(__name__)
Queued = Callable[[Step, str, float], bool]  # step, order id, seconds waited
UNSENT_RECHECK_S = 1.0  # how soon a step whose command is still in the outbox is looked at again


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
    backoff_max_s: float = BACKOFF_MAX_S,
) -> Decision:
    """Decide and persist: events, snapshot, deadline and outgoing messages, atomically."""
    decision = decide(state, trigger)
    if not decision.events:
        return decision
    new_state = decision.state_after(state)
    wait_s = step_wait_s(new_state, step_timeout_s=step_timeout_s, backoff_max_s=backoff_max_s)
    deadline = None if wait_s is None else datetime.now(UTC) + timedelta(seconds=wait_s)
    await store.save(
        conn, state, decision.events, new_state, deadline=deadline, trace_context=trace_headers()
    )
    for message in decision.messages:
        envelope = (
            cause.follow_up(message)
            if cause is not None
            else Envelope.wrap(message, correlation_id=correlation_id)
        )
        await outbox.append(conn, envelope, key=state.order_id)
    if decision.outcome and new_state.placed_at:
        outcome, elapsed = decision.outcome, time.time() - new_state.placed_at.timestamp()
        exemplar = metrics.exemplar()  # the trace of the message that ended the saga

        def record() -> None:  # once committed: a rolled-back, replayed reply counts once
            metrics.saga_outcomes.labels(outcome).inc()
            metrics.saga_duration.labels(outcome).observe(max(elapsed, 0.0), exemplar=exemplar)

        after_commit(record)
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
                order_id=claim.order_id,
                status=state.status if state else "PENDING",
                consistency_token=token_for(claim.order_id, state.version if state else 1),
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
        placed = await advance(
            conn,
            OrderState(order_id=claim.order_id),
            trigger,
            cause=None,
            correlation_id=correlation_id,
            step_timeout_s=step_timeout_s,
        )
    return OrderAccepted(
        order_id=claim.order_id,
        status="PENDING",
        consistency_token=token_for(claim.order_id, len(placed.events)),
    )


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
    if after is None:  # pragma: no cover - loaded under lock a moment ago
        raise _not_found(order_id)
    return OrderAccepted(
        order_id=order_id,
        status=after.status.value,
        consistency_token=token_for(order_id, after.version),
    )


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


async def time_out_overdue_steps(
    pool: Pool,
    *,
    step_timeout_s: float,
    retries: int = COMPENSATION_RETRIES,
    backoff_max_s: float = BACKOFF_MAX_S,
    limit: int = 50,
    queued: Queued | None = None,
) -> int:
    """Trigger the saga of up to `limit` orders whose step deadline passed; returns how many.

    Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several replicas sweep without doing the
    same order twice, and an order being handled by a consumer right now is simply skipped this
    round. A step whose command still waits in the outbox has not started: its deadline is
    re-checked a moment later instead of fired, and once the command has left the step gets a
    full step timeout from then. Each order is handled in its own savepoint (see the module
    docstring). Whether the sweeper may fire timeouts at all (the broker) is the caller's call,
    and so is `queued(step, order_id, waited_s)`: True while the step's command or reply still
    waits in a Kafka queue, so the step gets another step timeout, and once nothing is queued a
    full step from then (the dependency may have consumed it just now; `adapters.lag`).
    """
    async with transaction(pool) as conn:
        rows = await store.claim_overdue(conn, limit)
        for row in rows:
            order_id: str = row["order_id"]
            try:
                async with savepoint(conn):
                    await _sweep_one(
                        conn,
                        row,
                        step_timeout_s=step_timeout_s,
                        retries=retries,
                        backoff_max_s=backoff_max_s,
                        queued=queued,
                    )
            except Exception as exc:
                log.exception("sweeping order %s failed; the rest of the batch goes on", order_id)
                saga_metrics.sweep_errors.inc()
                async with savepoint(conn):
                    await _sweep_failed(
                        conn,
                        row,
                        exc,
                        step_timeout_s=step_timeout_s,
                        retries=retries,
                        backoff_max_s=backoff_max_s,
                    )
        saga_metrics.needs_attention.set(await store.count_needing_attention(conn))
    return len(rows)


async def restart_step_clocks(pool: Pool, *, step_timeout_s: float) -> int:
    """After a hold (broker or database away, or this process new): every step that is still
    waiting gets a full step timeout from now, as if its command had just left (ADR 0025)."""
    async with transaction(pool) as conn:
        return await store.restart_clocks(conn, step_timeout_s)


async def any_overdue(pool: Pool) -> bool:
    """Whether some step's deadline has passed (one indexed look, no lock)."""
    return bool(await pool.fetchval("SELECT EXISTS (SELECT 1 FROM orders WHERE deadline < now())"))


async def database_answers(pool: Pool) -> None:
    """One round trip; raises what an unreachable database raises."""
    await pool.fetchval("SELECT 1")


async def _sweep_one(
    conn: Connection,
    row: asyncpg.Record,
    *,
    step_timeout_s: float,
    retries: int,
    backoff_max_s: float,
    queued: Queued | None = None,
) -> None:
    order_id: str = row["order_id"]
    if row["unsent"]:  # the step's command has not left: its clock has not started
        saga_metrics.timeouts_deferred.inc()
        await store.defer(
            conn, order_id, wait_s=min(step_timeout_s, UNSENT_RECHECK_S), awaiting_send=True
        )
        return
    step = Step(row["saga_step"]) if row["saga_step"] else None
    if step is not None and queued is not None and queued(step, order_id, row["waited_s"]):
        saga_metrics.timeouts_deferred.inc()  # its command or reply is not consumed yet
        await store.defer(conn, order_id, wait_s=step_timeout_s, awaiting_send=True)
        return
    if row["awaiting_send"]:  # it left (or was consumed) since the last look: a full step now
        await store.defer(conn, order_id, wait_s=step_timeout_s, awaiting_send=False)
        return
    state = await store.load(conn, order_id, lock=False)
    if state is None or state.step is None:
        return
    log.warning("order %s timed out in %s", order_id, state.step.value)
    correlation = f"timeout-{order_id}"
    # The order's own trace goes on: the timeout, and the messages it sends, are its spans.
    with handling(
        f"time out {state.step.value.lower()}",
        correlation=correlation,
        carrier=json.loads(row["trace_context"]),
        kind=SpanKind.INTERNAL,
    ):
        decision = await advance(
            conn,
            state,
            StepTimedOut(Step(row["saga_step"]), retries=retries),
            cause=None,
            correlation_id=correlation,
            step_timeout_s=step_timeout_s,
            backoff_max_s=backoff_max_s,
        )
    for event in decision.events:
        if event.type == "StepRetried":
            saga_metrics.compensation_retries.labels(state.step.value).inc()
        elif event.type == "NeedsAttention":
            log.error("order %s needs attention: %s", order_id, event.data["reason"])


async def _sweep_failed(
    conn: Connection,
    row: asyncpg.Record,
    error: Exception,
    *,
    step_timeout_s: float,
    retries: int,
    backoff_max_s: float,
) -> None:
    """Back off from an order the sweeper failed on; park it once it failed `retries` + 1 times."""
    order_id: str = row["order_id"]
    failures = row["sweep_errors"] + 1
    if failures > retries:
        reason = f"the timeout sweeper failed {failures} times: {error!r}"
        log.error("order %s needs attention: %s", order_id, reason)
        await store.park(conn, order_id, step=row["saga_step"], reason=reason)
        return
    wait_s = retry_wait_s(failures, step_timeout_s=step_timeout_s, backoff_max_s=backoff_max_s)
    await store.record_sweep_error(conn, order_id, wait_s=wait_s)


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
        attention_reason=snapshot.get("attention_reason"),
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
