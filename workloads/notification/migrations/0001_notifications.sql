CREATE TABLE notifications (
    order_id     text        NOT NULL,
    template     text        NOT NULL,
    customer_id  text        NOT NULL,
    channel      text        NOT NULL,
    body         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, template)
);
