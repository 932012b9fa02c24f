-- The read side (ADR 0035): the event store doubles as the projection's notification log.
-- tx: the transaction that wrote the event (top-level id, 64-bit). Every transaction below the
-- oldest one still running (pg_snapshot_xmin) has ended, so a projector that reads up to that
-- horizon never skips an event committed late under a lower id. Existing rows get this
-- migration's id, so the first catch-up projects every order already placed.
ALTER TABLE order_events
    ADD COLUMN tx bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX order_events_tx ON order_events (tx);

-- A customer's orders, newest first: one row per order, rebuilt from order_events at will.
CREATE TABLE customer_orders (
    order_id       text        PRIMARY KEY,
    customer_id    text        NOT NULL,
    status         text        NOT NULL,
    total_cents    integer     NOT NULL,
    item_count     integer     NOT NULL,
    placed_at      timestamptz NOT NULL,
    cancel_reason  text,
    carrier        text,
    shipment_id    text,
    version        integer     NOT NULL  -- the order's version this row shows
);
CREATE INDEX customer_orders_newest
    ON customer_orders (customer_id, placed_at DESC, order_id DESC);

-- How far each projection has read: every event of a transaction below tx_watermark is in it.
CREATE TABLE projection_checkpoints (
    projection    text        PRIMARY KEY,
    tx_watermark  bigint      NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projection_checkpoints (projection, tx_watermark) VALUES ('customer_orders', 0);
