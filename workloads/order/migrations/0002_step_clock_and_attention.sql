-- The sweeper's bookkeeping on the order row (not part of the order's history):
-- awaiting_send: the step's deadline is only a re-check because its command was still in the
--   outbox when it ran out; once the command has left, the step's clock starts again.
-- sweep_errors: rounds in a row the sweeper failed on this order (backs off, then parks it).
ALTER TABLE orders ADD COLUMN awaiting_send boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN sweep_errors integer NOT NULL DEFAULT 0;

-- Orders parked for a person: counted for the conveyor_saga_needs_attention gauge every sweep.
CREATE INDEX orders_needs_attention ON orders (order_id) WHERE status = 'NEEDS_ATTENTION';
