CREATE TABLE products (
    product_id   text        PRIMARY KEY,
    price_cents  integer     NOT NULL CHECK (price_cents >= 0),
    -- The CHECK is the second guard; the first is the conditional UPDATE (available >= qty).
    available    integer     NOT NULL CHECK (available >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservations (
    order_id    text        NOT NULL,
    product_id  text        NOT NULL REFERENCES products (product_id),
    quantity    integer     NOT NULL CHECK (quantity > 0),
    status      text        NOT NULL CHECK (status IN ('held', 'committed', 'released')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX reservations_expiry ON reservations (expires_at) WHERE status = 'held';

-- Orders whose inventory was released: a reservation for them arriving late is refused.
CREATE TABLE released_orders (
    order_id     text        PRIMARY KEY,
    released_at  timestamptz NOT NULL DEFAULT now()
);
