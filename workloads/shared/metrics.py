"""The Prometheus metrics every service exposes on /metrics, named once for dashboards and SLOs.

Histograms are observed with an exemplar carrying the current OpenTelemetry trace id
(`exemplar()`), exposed when the scraper asks for OpenMetrics (the local Prometheus does, and
stores them with `--enable-feature=exemplar-storage`): a slow bucket links to one trace.
"""

from __future__ import annotations

from opentelemetry import trace
from prometheus_client import Counter, Gauge, Histogram

from workloads.shared.metric_buckets import LATENCY_BUCKETS

http_requests = Counter(
    "conveyor_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
http_latency = Histogram(
    "conveyor_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
messages_handled = Counter(
    "conveyor_messages_handled_total",
    "Kafka messages handled by outcome (applied, duplicate, ignored, dead_lettered)",
    ["group", "topic", "outcome"],
)
message_latency = Histogram(
    "conveyor_message_handling_seconds",
    "Time to apply one message",
    ["group", "topic"],
    buckets=LATENCY_BUCKETS,
)
handler_retries = Counter(
    "conveyor_message_retries_total", "Retried message handling attempts", ["group", "topic"]
)
dlq_messages = Counter(
    "conveyor_dlq_messages_total", "Messages sent to a dead-letter topic", ["topic"]
)
consumer_lag = Gauge(
    "conveyor_kafka_consumer_lag_messages",
    "Records of a partition the consumer group has not committed yet (end offset minus the"
    " group's committed offset), exported by the member the partition is assigned to",
    ["group", "topic", "partition"],
)
dlq_depth = Gauge(
    "conveyor_dlq_depth_messages",
    "Dead letters not yet redriven per dead-letter topic (end offset minus the redrive group's"
    " committed offset); every consuming replica exports the same value",
    ["topic"],
)
outbox_backlog = Gauge("conveyor_outbox_backlog", "Outbox rows not yet published")
outbox_oldest_age = Gauge(
    "conveyor_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not yet published (0 when none waits)",
)
outbox_published = Counter("conveyor_outbox_published_total", "Outbox rows published", ["topic"])
outbox_dead_letters = Counter(
    "conveyor_outbox_dead_letters_total",
    "Outbox rows parked in outbox_dead_letters because Kafka can never accept them",
    ["topic"],
)
outbox_parked = Gauge(
    "conveyor_outbox_dead_letter_rows",
    "Outbox rows parked in outbox_dead_letters, not yet resolved",
)
outbox_relay_retries = Counter(
    "conveyor_outbox_relay_retries_total",
    "Outbox relay rounds that failed on a transient error and were retried after back-off",
    ["cause"],
)
saga_outcomes = Counter("conveyor_saga_outcomes_total", "Sagas that ended, by outcome", ["outcome"])
saga_duration = Histogram(
    "conveyor_saga_duration_seconds",
    "Order accepted to terminal state",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
breaker_state = Gauge(
    "conveyor_circuit_breaker_state",
    "State of a circuit breaker per target: 0 closed, 1 half-open, 2 open",
    ["target"],
)
breaker_transitions = Counter(
    "conveyor_circuit_breaker_transitions_total",
    "Circuit breaker state changes, by target and the state entered",
    ["target", "to"],
)
cache_lookups = Counter(
    "conveyor_cache_lookups_total",
    "Cache-aside reads by result: hit, stale (served while one request refreshes), miss, or"
    " bypass (the cache was not asked: breaker open, or Redis failed)",
    ["cache", "result"],
)
cache_loads = Counter(
    "conveyor_cache_loads_total",
    "Loads from the source of truth made on behalf of the cache (one per miss that was not"
    " coalesced with another)",
    ["cache"],
)
cache_invalidations = Counter(
    "conveyor_cache_invalidations_total",
    "Invalidation groups applied to the cache, by outcome (applied, deferred while Redis fails)",
    ["cache", "outcome"],
)
db_pool_in_use = Gauge(
    "conveyor_db_pool_connections_in_use", "Database pool connections handed out right now"
)
db_pool_max = Gauge("conveyor_db_pool_connections_max", "Database pool connections at most")
flag_value = Gauge(
    "conveyor_flag_value",
    "The value this process evaluates now for a number flag of the catalogue (its default when"
    " the flags file lacks it), evaluated at scrape time",
    ["flag"],
)
flags_reloads = Counter(
    "conveyor_flags_file_reloads_total",
    "Contents of the flags file loaded (the first load included)",
)
flags_reload_errors = Counter(
    "conveyor_flags_file_reload_errors_total",
    "Flags file contents refused, once per distinct bad content (unreadable, invalid) or"
    " polls that failed unexpectedly; the last good flags stay in force",
    ["reason"],
)
for _reason in ("unreadable", "invalid", "unexpected"):  # exported at 0 from the start
    flags_reload_errors.labels(reason=_reason)


def exemplar(span: trace.Span | None = None) -> dict[str, str] | None:
    """`{"trace_id": <32 hex>}` of `span` (default: the current one), None outside a trace."""
    context = (span or trace.get_current_span()).get_span_context()
    return {"trace_id": format(context.trace_id, "032x")} if context.is_valid else None
