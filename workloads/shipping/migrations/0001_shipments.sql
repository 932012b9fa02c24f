-- One shipment per order: the unique order_id makes a second OrderConfirmed for the same order
-- (a redelivery the inbox has not seen, or a republished event) a no-op.
CREATE TABLE shipments (
    shipment_id      text        PRIMARY KEY,
    order_id         text        NOT NULL UNIQUE,
    customer_id      text        NOT NULL,
    status           text        NOT NULL DEFAULT 'SHIPPED',
    carrier          text        NOT NULL,
    tracking_number  text        NOT NULL,
    item_count       integer,
    shipped_at       timestamptz NOT NULL DEFAULT now()
);
