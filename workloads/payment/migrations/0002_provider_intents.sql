-- The card provider is an external system now (ADR 0021): a payment is 'pending' from its
-- recorded intent until the provider's answer is recorded, and keeps the provider's charge id.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'charged', 'declined', 'refunded', 'voided'));
ALTER TABLE payments ADD COLUMN provider_charge_id text;

-- Calls owed to the provider, one per order and operation: the key is the idempotency key sent
-- with every attempt. Written with the command's inbox claim; settled (the provider's answer
-- recorded, the reply in the outbox) in a later transaction, after a call made outside any.
-- `due_at` is a lease: a claimer pushes it past its whole round of attempts.
CREATE TABLE provider_intents (
    idempotency_key  text        PRIMARY KEY,
    order_id         text        NOT NULL,
    operation        text        NOT NULL CHECK (operation IN ('charge', 'refund')),
    command          bytea       NOT NULL,  -- the command's envelope: what to send, whom to answer
    due_at           timestamptz NOT NULL DEFAULT now(),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    settled_at       timestamptz
);
CREATE INDEX provider_intents_due ON provider_intents (due_at) WHERE settled_at IS NULL;
CREATE INDEX provider_intents_by_order ON provider_intents (order_id) WHERE settled_at IS NULL;
