"""The payment service: a simulated provider, charges idempotent per order, an auditable ledger."""
