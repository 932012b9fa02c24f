-- Orders inventory has seen cancelled by their saga (OrderCancelled on orders.failed). Expiry
-- releases a reservation only for these: an order not listed here may be paid and confirmed in a
-- confirmation inventory has not applied yet, so its overdue reservation is reported, not released.
CREATE TABLE cancelled_orders (
    order_id      text        PRIMARY KEY,
    reason        text        NOT NULL,
    cancelled_at  timestamptz NOT NULL DEFAULT now()
);
