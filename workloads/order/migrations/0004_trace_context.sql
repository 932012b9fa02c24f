-- The trace context (W3C `traceparent`, `tracestate`) of the work that last advanced the order,
-- so the step-timeout sweeper continues the order's trace instead of starting one of its own.
ALTER TABLE orders ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}'::jsonb;
