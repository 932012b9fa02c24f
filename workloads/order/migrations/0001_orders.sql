-- Products the order service may sell, with prices: a read model fed by inventory.products.
CREATE TABLE products (
    product_id   text        PRIMARY KEY,
    price_cents  integer     NOT NULL CHECK (price_cents >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The event store: every order's history, append-only, ordered by seq.
CREATE TABLE order_events (
    order_id     text        NOT NULL,
    seq          integer     NOT NULL,
    event_type   text        NOT NULL,
    data         jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, seq)
);

-- Snapshot and read model in one row: what the saga locks, what GET returns, and the step
-- deadline the timeout sweeper scans.
CREATE TABLE orders (
    order_id     text        PRIMARY KEY,
    customer_id  text        NOT NULL,
    status       text        NOT NULL,
    saga_step    text,
    total_cents  integer     NOT NULL,
    snapshot     jsonb       NOT NULL,
    version      integer     NOT NULL,
    deadline     timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_deadline ON orders (deadline) WHERE deadline IS NOT NULL;

CREATE TABLE idempotency_keys (
    key           text        PRIMARY KEY,
    request_hash  text        NOT NULL,
    order_id      text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
