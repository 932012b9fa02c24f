"""The gateway's Prometheus metrics (the shared HTTP ones come from workloads/shared/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

upstream_calls = Counter(
    "conveyor_gateway_upstream_calls",
    "Calls to an upstream workload, by outcome (ok, error, timeout, unreachable, rejected).",
    ["upstream", "outcome"],
)
upstream_retries = Counter(
    "conveyor_gateway_upstream_retries", "Calls tried again on an upstream.", ["upstream"]
)
replicas = Gauge(
    "conveyor_gateway_upstream_replicas",
    "Replicas of an upstream known to the gateway, by health.",
    ["upstream", "state"],
)
in_flight = Gauge(
    "conveyor_gateway_upstream_in_flight", "Calls in flight to an upstream.", ["upstream"]
)
rejections = Counter(
    "conveyor_gateway_rejections",
    "Requests the gateway answered itself (unauthenticated, forbidden, rate_limited, ...).",
    ["reason"],
)
panic_routed = Counter(
    "conveyor_gateway_upstream_panic_routed",
    "Calls routed while no replica of the upstream passed its health check (panic routing).",
    ["upstream"],
)
