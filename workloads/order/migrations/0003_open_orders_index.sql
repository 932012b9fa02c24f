-- The open (non-terminal) orders by age, for the saga-completion SLI
-- (conveyor_saga_open_oldest_age_seconds): a partial index, so the query reads only open orders.
CREATE INDEX orders_open_since ON orders (created_at)
    WHERE status IN ('PENDING', 'CANCELLING', 'NEEDS_ATTENTION');
