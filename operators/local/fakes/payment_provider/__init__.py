"""A fake card payment provider: its own process, HTTP API, ledger, latency and failures.

It behaves like the providers whose idempotency rules Conveyor relies on (a Stripe-like API):

- `POST /v1/charges` and `POST /v1/refunds` require an `Idempotency-Key` header. The same key with
  the same body answers the first answer again (`Idempotent-Replayed: true`) and moves no money;
  the same key with another body is a 409. A request without a key is a 400.
- Card token `tok_decline` is declined (a charge with status `declined`, which moves no money);
  any other token succeeds.
- Its ledger (SQLite, in the runner's state folder, each request committed before its answer,
  so it survives a crash of the process) counts every charge it made, with no "one charge per
  order" rule of its own: a client that calls twice with two keys is charged twice, and
  `GET /v1/ledger` shows it. That is the point of the fake.
- Behaviour (latency, failure rate) is the stack's flags `fault.payment-provider.latency-ms` and
  `fault.payment-provider.failure-rate`, read from the flags file while it runs (change them with
  `conveyor flags set`; `GET /v1/behaviour` shows the values now). A failure is a 503 before
  any effect; latency is spent before the effect, so a client that times out may find its charge
  made later — the ambiguous outcome an idempotency key exists for.

Card tokens are never logged nor stored.
"""
