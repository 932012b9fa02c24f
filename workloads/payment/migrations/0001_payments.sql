-- One payment per order: the primary key is what makes a charge idempotent per order.
CREATE TABLE payments (
    order_id      text        PRIMARY KEY,
    payment_id    uuid        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('charged', 'declined', 'refunded', 'voided')),
    amount_cents  integer     NOT NULL CHECK (amount_cents >= 0),
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Append-only money movements; totals are audited from here, never from payments.status.
CREATE TABLE ledger (
    id            bigserial   PRIMARY KEY,
    order_id      text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('charge', 'refund')),
    amount_cents  integer     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ledger_once_per_kind ON ledger (order_id, kind);
