-- Outbox dead letters: rows Kafka can never accept (record too large, no such topic), moved here
-- by the relay in the same transaction that deletes them from the outbox, so later rows flow.
-- Inspect with SELECT; to retry one after the fix, INSERT its topic, key, value and headers back
-- into outbox and DELETE it here, in one transaction.
CREATE TABLE outbox_dead_letters (
    id          bigint      PRIMARY KEY,  -- the outbox row's id: its place in commit order
    topic       text        NOT NULL,
    key         text        NOT NULL,
    value       bytea       NOT NULL,
    headers     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    error       text        NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now()
);
