"""Settings of the order service (plain environment variables)."""

from __future__ import annotations

from pydantic import Field

from workloads.order.domain.saga import BACKOFF_MAX_S, COMPENSATION_RETRIES
from workloads.shared.runtime import ServiceSettings


class OrderSettings(ServiceSettings):
    service_name: str = "order"
    saga_step_timeout_s: float = Field(default=30.0, gt=0)
    # A compensation is resent this often, each wait doubling up to the maximum, then parked.
    saga_compensation_retries: int = Field(default=COMPENSATION_RETRIES, ge=0)
    saga_retry_backoff_max_s: float = Field(default=BACKOFF_MAX_S, gt=0)
    timeout_scan_interval_s: float = Field(default=0.25, gt=0)
    # After the broker returns (or this process starts), no step times out for at least this
    # long, nor for less than one step timeout: time for consumer groups to rebalance and the
    # other services to restart and drain their outboxes (ADR 0019).
    saga_broker_recovery_s: float = Field(default=30.0, ge=0)
    # A step whose command or reply still waits in Kafka (consumer lag on its partition) is
    # queued, not unanswered: its deadline moves by a step timeout, for at most this long since
    # the step began (adapters/lag.py).
    saga_queue_wait_max_s: float = Field(default=300.0, ge=0)
    broker_probe_interval_s: float = Field(default=1.0, gt=0)
    broker_probe_timeout_s: float = Field(default=2.0, gt=0)
    # The read side (ADR 0035): how often the projector looks for new events, and how long a
    # read with a consistency token waits for the projection to reach it before a 504.
    projection_interval_s: float = Field(default=0.1, gt=0)
    read_your_writes_wait_s: float = Field(default=5.0, gt=0, le=30)
