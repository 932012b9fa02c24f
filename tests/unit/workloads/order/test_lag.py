"""A step counts as queued while its command or reply is unconsumed on its key's partition."""

from __future__ import annotations

from workloads.order.adapters.lag import QUEUES_OF_STEP, UNKNOWN, Backlog, Queue, partition_of
from workloads.order.domain.order import Step

COMMANDS = Queue("payment", "payments.commands")
REPLIES = Queue("order-saga", "payments.completed")


def test_the_partition_is_the_default_partitioners() -> None:
    # murmur2 of b"order-1" as Kafka's Java client and aiokafka compute it
    assert [partition_of("order-1", n) for n in (1, 3, 12)] == [0, 1, 10]


def test_lag_on_the_keys_partition_of_any_queue_means_queued() -> None:
    key = "order-1"
    mine = partition_of(key, 3)
    busy = tuple(1 if p == mine else 0 for p in range(3))
    idle = (0, 0, 0)
    assert Backlog({COMMANDS: busy, REPLIES: idle}).waiting([COMMANDS, REPLIES], key)
    assert Backlog({COMMANDS: idle, REPLIES: busy}).waiting([COMMANDS, REPLIES], key)
    assert not Backlog({COMMANDS: idle, REPLIES: idle}).waiting([COMMANDS, REPLIES], key)
    other = tuple(5 if p != mine else 0 for p in range(3))
    assert not Backlog({COMMANDS: other}).waiting([COMMANDS], key), "another partition's lag"


def test_an_unknown_queue_counts_as_queued() -> None:
    assert UNKNOWN.waiting([COMMANDS], "order-1")
    assert Backlog({REPLIES: (0,)}).waiting([COMMANDS, REPLIES], "order-1")


def test_every_step_watches_its_command_at_the_dependency_and_its_replies_at_the_order() -> None:
    assert QUEUES_OF_STEP[Step.PROCESSING_PAYMENT] == (
        COMMANDS,
        REPLIES,
        Queue("order-saga", "payments.failed"),
    )
    groups = {q.group for q in QUEUES_OF_STEP[Step.RESERVING_INVENTORY]}
    assert groups == {"inventory", "order-saga"}


def test_a_partition_seen_busy_within_the_quiet_time_still_counts_as_queued() -> None:
    key = "order-1"
    mine = partition_of(key, 3)
    backlog = Backlog({COMMANDS: (0, 0, 0)}, {(COMMANDS, mine): 3.0})
    assert backlog.waiting([COMMANDS], key, quiet_s=8), "consumed 3 s ago: its answer may come"
    assert not backlog.waiting([COMMANDS], key, quiet_s=2), "quiet for longer than asked"
    assert not backlog.waiting([COMMANDS], key), "no quiet time asked"
