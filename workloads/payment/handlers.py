"""The payment service layer: each command's money movement and its reply commit together.

Handlers called by the consumer run in its transaction with the inbox claim, and append their
reply to the outbox in that same transaction: a redelivered command changes nothing, and a failure
rolls everything back for the consumer to retry. The simulated provider is called inside that
transaction (`payments.charge`); a charge is idempotent per order by the `payments` primary key.
"""

from __future__ import annotations

from workloads.contracts import events as ev
from workloads.payment import payments
from workloads.payment.schemas import LedgerEntry, LedgerSummary, PaymentView
from workloads.payment.settings import PaymentSettings
from workloads.shared.database import Connection, Pool
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError


async def charge(
    conn: Connection, command: ev.ProcessPayment, *, cause: Envelope, settings: PaymentSettings
) -> None:
    """Charge once per order, and answer PaymentCompleted or PaymentFailed."""
    reply = await payments.charge(conn, command, settings)
    await outbox.append(conn, cause.follow_up(reply), key=command.order_id)


async def refund(conn: Connection, command: ev.RefundPayment, *, cause: Envelope) -> None:
    """Refund what was charged (or void a charge yet to come), and answer PaymentRefunded."""
    reply = await payments.refund(conn, command.order_id)
    await outbox.append(conn, cause.follow_up(reply), key=command.order_id)


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
