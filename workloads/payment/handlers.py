"""The payment service layer: record an intent with its command, settle it after the call.

Command handlers (`charge`, `refund`) run in the consumer's transaction with the inbox claim:
they record the intent (or answer at once when the outcome is already known) and commit with it,
so a redelivered command changes nothing. They never call the provider.

`settle` is the other half, run by the settlement job for a claimed intent: it calls the provider
with the intent's idempotency key while no transaction is open, then records the answer and
appends the reply to the outbox in one transaction. `ProviderUnavailableError` (no answer after
the bounded attempts) propagates, and the intent is left for a later round with the same key.
"""

from __future__ import annotations

from workloads.contracts import events as ev
from workloads.payment import metrics as payment_metrics
from workloads.payment import payments
from workloads.payment.payments import Intent
from workloads.payment.provider import ChargeResult, PaymentProvider, ProviderRejectedError
from workloads.payment.schemas import LedgerEntry, LedgerSummary, PaymentView
from workloads.shared.database import Connection, Pool, transaction
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError


async def charge(conn: Connection, command: ev.ProcessPayment, *, cause: Envelope) -> None:
    """Record the intent to charge once per order; answer now only a payment already decided."""
    reply = await payments.request_charge(conn, cause)
    if reply is not None:
        await outbox.append(conn, cause.follow_up(reply), key=command.order_id)


async def refund(conn: Connection, command: ev.RefundPayment, *, cause: Envelope) -> None:
    """Record the intent to refund; answer now (0 cents) when nothing was or will be charged."""
    reply = await payments.request_refund(conn, cause)
    if reply is not None:
        await outbox.append(conn, cause.follow_up(reply), key=command.order_id)


async def settle(pool: Pool, provider: PaymentProvider, intent: Intent) -> str:
    """Call the provider for one claimed intent and record its answer; returns the outcome."""
    if intent.operation == "charge":
        return await _settle_charge(pool, provider, intent)
    return await _settle_refund(pool, provider, intent)


async def _settle_charge(pool: Pool, provider: PaymentProvider, intent: Intent) -> str:
    command = intent.command.read_as(ev.ProcessPayment)
    result: ChargeResult | None = None
    rejected: str | None = None
    try:
        result = await provider.charge(
            key=intent.key,
            order_id=command.order_id,
            amount_cents=command.amount_cents,
            card_token=command.card_token,
        )
    except ProviderRejectedError as exc:  # nothing was charged for this request
        rejected = str(exc)
    async with transaction(pool) as conn:
        reply = await payments.record_charge(conn, intent, result, rejected=rejected)
        if reply is None:
            return "settled_elsewhere"
        await outbox.append(conn, intent.command.follow_up(reply), key=intent.order_id)
    # Committed: count it (a rolled-back settlement is retried and counted then).
    outcome = "rejected" if result is None else "charged" if result.succeeded else "declined"
    payment_metrics.settled.labels("charge", outcome).inc()
    if outcome == "charged":
        payment_metrics.amount_cents.labels("charge").inc(command.amount_cents)
    return outcome


async def _settle_refund(pool: Pool, provider: PaymentProvider, intent: Intent) -> str:
    target = await payments.refund_target(pool, intent.order_id)
    amount = 0
    if target is not None:
        charge_id, amount_cents = target
        done = await provider.refund(key=intent.key, charge_id=charge_id, amount_cents=amount_cents)
        amount = done.amount_cents
    async with transaction(pool) as conn:
        reply = await payments.record_refund(conn, intent, amount)
        if reply is None:
            return "settled_elsewhere"
        await outbox.append(conn, intent.command.follow_up(reply), key=intent.order_id)
    outcome = "refunded" if amount else "nothing_to_refund"
    payment_metrics.settled.labels("refund", outcome).inc()
    payment_metrics.amount_cents.labels("refund").inc(amount)
    return outcome


async def get_payment(pool: Pool, order_id: str) -> PaymentView:
    """The order's payment with its ledger entries; 404 when there is none."""
    async with pool.acquire() as conn:
        row = await payments.find(conn, order_id)
        if row is None:
            raise ProblemError(404, "Payment not found", f"No payment for order {order_id}.")
        ledger = await payments.ledger_of(conn, order_id)
    return PaymentView(**dict(row), ledger=[LedgerEntry(**dict(r)) for r in ledger])


async def ledger_summary(pool: Pool) -> LedgerSummary:
    async with pool.acquire() as conn:
        return LedgerSummary(**dict(await payments.ledger_totals(conn)))
