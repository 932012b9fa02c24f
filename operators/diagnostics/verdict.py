"""Why an order is where it is: step timings from its history and a one-line verdict.

Pure: the order as read (`orders.OrderRecord`), the ready replicas per workload and the order's
dead letters in, words out. The verdict names the first cause that explains the wait, in this
order: the order has ended (not stuck); it is parked for a person; one of its messages was
dead-lettered; its command has not left the outbox; the service that must answer has no ready
replica; otherwise the command is out and unanswered, with how long ago it went and when the
step times out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from operators.diagnostics.orders import TERMINAL, OrderRecord
from workloads.order.domain.order import OrderEvent, OrderState, Step, apply

# Who must answer each step, and what it is waiting for.
WAITING_ON: dict[str, tuple[str, str]] = {
    Step.RESERVING_INVENTORY.value: ("inventory", "the inventory reservation"),
    Step.PROCESSING_PAYMENT.value: ("payment", "payment"),
    Step.REFUNDING_PAYMENT.value: ("payment", "the refund"),
    Step.RELEASING_INVENTORY.value: ("inventory", "the inventory release"),
}


@dataclass(frozen=True)
class StepTiming:
    name: str  # a step, or the terminal status
    started_at: datetime
    seconds: float | None  # None while it is still the current step


def _ago(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"  # noqa: PLR2004


def step_timings(record: OrderRecord) -> list[StepTiming]:
    """Each step the saga went through, when it began and how long it took (from the history)."""
    state = OrderState(order_id=record.order_id)
    marks: list[tuple[str, datetime]] = []
    for event in record.events:
        state = apply(state, OrderEvent(event.type, event.data))
        name = state.step.value if state.step else state.status.value
        if not marks or marks[-1][0] != name:
            marks.append((name, event.occurred_at))
    timings = []
    for i, (name, began) in enumerate(marks):
        ended = marks[i + 1][1] if i + 1 < len(marks) else None
        final = ended is None and name in TERMINAL
        seconds = (ended - began).total_seconds() if ended else (0.0 if final else None)
        timings.append(StepTiming(name, began, seconds))
    return timings


@dataclass(frozen=True)
class DeadLetterSeen:
    topic: str
    error: str


def verdict(
    record: OrderRecord,
    *,
    ready: dict[str, int] | None,
    dead_letters: list[DeadLetterSeen],
) -> str:
    """One line on why the order is (or is not) stuck; `ready` None when replicas are unknown."""
    now = record.now
    if record.status in TERMINAL:
        took = (record.updated_at - record.created_at).total_seconds()
        return f"not stuck: {record.status} {took:.1f} s after it was accepted"
    if record.attention_reason is not None and record.status == "NEEDS_ATTENTION":
        return f"parked for a person (NEEDS_ATTENTION): {record.attention_reason}"
    if dead_letters:
        first = dead_letters[0]
        return (
            f"a message of this order was dead-lettered on {first.topic}: {first.error}; "
            f"fix the cause, then `conveyor dlq redrive {first.topic} --key {record.order_id}`"
        )
    # Every event of an open saga sends the step's command (again, for a retry): the last one
    # is when the service that must answer was last asked.
    since = (now - record.events[-1].occurred_at).total_seconds() if record.events else 0.0
    service, what = WAITING_ON.get(record.step or "", ("?", record.step or "its next step"))
    if record.unsent:
        oldest = record.unsent[0]
        return (
            f"waiting for {what}: its {oldest.event_type} has not left the order service's "
            f"outbox ({_ago((now - oldest.created_at).total_seconds())}); is Kafka reachable?"
        )
    timeout = ""
    if record.deadline is not None:
        left = (record.deadline - now).total_seconds()
        timeout = f"; the step times out in {_ago(left)}" if left > 0 else "; past its deadline"
    replicas = (ready or {}).get(service)
    if ready is not None and not replicas:
        return (
            f"waiting for {what}: {service} service has 0 ready replicas; "
            f"command sent {_ago(since)} ago{timeout}"
        )
    known = f"{service} has {replicas} ready replica(s)" if replicas else f"{service} state unknown"
    return (
        f"waiting for {what}: command sent {_ago(since)} ago and not answered; {known} "
        f"(see `conveyor local logs {service}-0`){timeout}"
    )
