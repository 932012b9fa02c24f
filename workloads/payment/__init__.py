"""The payment service: charges and refunds at an external card provider, each recorded as an
intent before the call and settled after it under one idempotency key per order and operation."""
