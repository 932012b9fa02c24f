"""The payment service's HTTP shapes: one order's payment with its ledger, and ledger totals."""

from __future__ import annotations

from pydantic import BaseModel


class LedgerEntry(BaseModel):
    """One money movement: a charge (positive) or a refund (negative)."""

    kind: str
    amount_cents: int


class PaymentView(BaseModel):
    """An order's payment: `pending` (at the provider), `charged`, `declined`, `refunded` or
    `voided`, the provider's charge id once charged, and its movements."""

    order_id: str
    payment_id: str
    status: str
    amount_cents: int
    reason: str | None
    provider_charge_id: str | None = None
    ledger: list[LedgerEntry]


class LedgerSummary(BaseModel):
    """Totals over the whole ledger, for audit: net is what was charged and not refunded."""

    charges: int
    refunds: int
    charged_cents: int
    refunded_cents: int
    net_cents: int
