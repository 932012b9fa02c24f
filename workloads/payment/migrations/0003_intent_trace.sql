-- The trace context (W3C `traceparent`) of the command that recorded the intent: the settlement
-- job calls the provider and answers under it, so the charge and the reply stay in the order's
-- one trace although they run later, outside the command's transaction.
ALTER TABLE provider_intents ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}';
