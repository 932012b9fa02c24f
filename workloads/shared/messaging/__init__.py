"""The messaging core: how an event leaves one service's database and takes effect in another's.

Every hop names what it guarantees, how it deduplicates, what keeps order, and what a failure does:

| hop | module | guarantee | dedupe key | order | on failure |
|---|---|---|---|---|---|
| state change → outbox row | `outbox.append` | the event exists iff the business transaction committed | — | commit order per service | rolls back with the effect |
| outbox row → Kafka | `outbox` relay | at least once; rows deleted only after `acks=all` | event id (idempotent producer within a session) | per key: one active relay per database (advisory lock) | re-sent after a crash, the inbox absorbs it; broker down: backs off and resumes; a row Kafka can never accept (too large, no such topic) is parked in `outbox_dead_letters` and the rest go on |
| Kafka → consumer | `consumer`, `kafka` | at least once; offsets committed only after the effect is durable | — | per partition (aggregate key) strictly in order | redelivered |
| consumer → effect | `inbox.claim` + handler | effectively once: inbox row and effect in one transaction | (consumer group, event id) | as delivered | retried with backoff; after the last attempt → DLQ |
| poison message → DLQ | `consumer`, `dead_letters` | copied to `<topic>.dlq` with error, attempts and origin in headers (`DeadLetter`), then skipped | event id kept | per original partition | the consumer moves on |
| DLQ → redrive | `dlq.redrive` | republished with original key, value and event id | event id (inbox skips what was applied) | per original key | safe to repeat |

`envelope` is the wire shape every hop shares (event id, type, version, correlation, causation,
payload; trace context in headers). The SQL for the outbox and inbox tables is `migrations/`,
applied by `workloads.shared.migrations` before a service's own files.
"""
