"""The PromQL the dashboards run: metric names, selectors and the SLO arithmetic, as plain strings.

Names are those of `workloads/shared/metrics.py` (a unit test reads every `conveyor_*` name in
the rendered dashboards back against it). Series carry a `workload` label: the local runner's
scrape targets set it; on a cluster the operator's ServiceMonitor sets it by relabeling. Probe
routes (`/health/*`, `/metrics`) are excluded from every request SLI: probes are not customers.

The SLO panels read the generated SLO recording rules (operators/pipeline/slos/records.py) over
the standard multi-window pairs below (1h/5m and 6h/30m page at 14.4x and 6x; 1d/2h and 3d/6h
ticket at 3x and 1x, of a 30-day budget).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from prometheus_client.utils import floatToGoString

from workloads.shared.metric_buckets import LATENCY_BUCKETS

_go_float = cast(Callable[[float], str], floatToGoString)  # untyped in prometheus-client

HTTP_REQUESTS = "conveyor_http_requests_total"
HTTP_DURATION = "conveyor_http_request_duration_seconds"
MESSAGES_HANDLED = "conveyor_messages_handled_total"
MESSAGE_HANDLING = "conveyor_message_handling_seconds"
MESSAGE_RETRIES = "conveyor_message_retries_total"
DLQ_MESSAGES = "conveyor_dlq_messages_total"
DLQ_DEPTH = "conveyor_dlq_depth_messages"
CONSUMER_LAG = "conveyor_kafka_consumer_lag_messages"
OUTBOX_BACKLOG = "conveyor_outbox_backlog"
OUTBOX_PUBLISHED = "conveyor_outbox_published_total"
SAGA_OUTCOMES = "conveyor_saga_outcomes_total"
SAGA_DURATION = "conveyor_saga_duration_seconds"
FLAG_VALUE = "conveyor_flag_value"
FLAGS_RELOAD_ERRORS = "conveyor_flags_file_reload_errors_total"

WORKLOAD = 'workload=~"$workload"'
NOT_PROBES = 'route!~"/health/.*|/metrics"'
SERVED = f"{WORKLOAD},{NOT_PROBES}"
ERRORS = f'{SERVED},status=~"5.."'
CHECKOUT = 'workload="order",method="POST",route="/v1/orders"'
ACCEPTED = f'{CHECKOUT},status="202"'

BUDGET_WINDOW = "30d"
# (long window, short window, burn-rate factor): the pairs the SLO alerts page or ticket on.
PAGE_PAIRS = (("1h", "5m", 14.4), ("6h", "30m", 6.0))
TICKET_PAIRS = (("1d", "2h", 3.0), ("3d", "6h", 1.0))


def le(bound: float) -> str:
    """A bucket bound as prometheus-client writes it in the `le` label (1.0 -> "1.0")."""
    return _go_float(bound)


LE_VALUES = tuple(le(b) for b in LATENCY_BUCKETS)
SLOWEST_BOUND = LE_VALUES[-1]  # above it, a saga or request is only counted in +Inf
SLOWEST_SECONDS = f"{LATENCY_BUCKETS[-1]:g}"  # the same bound, for titles


def rate(metric: str, selector: str, window: str) -> str:
    return f"rate({metric}{{{selector}}}[{window}])"


def error_ratio(window: str, *, by: str = "workload") -> str:
    """5xx answers / all answers per workload, probes excluded, over `window`.

    A workload that never answered 5xx has no 5xx series at all; `or 0 * all` gives it a 0
    instead of leaving the panel empty (no traffic at all still shows nothing).
    """
    served = f"sum by ({by}) ({rate(HTTP_REQUESTS, SERVED, window)})"
    return f"(sum by ({by}) ({rate(HTTP_REQUESTS, ERRORS, window)}) or 0 * {served}) / {served}"


def quantile(q: float, metric: str, selector: str, *, by: str) -> str:
    """The q-quantile of a histogram per `by`, over Grafana's rate interval."""
    inner = rate(f"{metric}_bucket", selector, "$__rate_interval")
    return f"histogram_quantile({q}, sum by ({by}, le) ({inner}))"


def increase(metric: str, selector: str, *, by: str = "") -> str:
    """How much a counter grew over the dashboard's time range."""
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (increase({metric}{{{selector}}}[$__range]))"
