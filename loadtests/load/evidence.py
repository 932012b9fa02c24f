"""What else a run's window shows, beyond the SLOs: cache hits, dead letters, CPU, memory.

Cache hit ratio: the catalog's `conveyor_cache_lookups_total` over the window (hits and stale
answers served from the cache, over all lookups), by the same start/end subtraction as the SLOs.
Dead letters: the records on every `*.dlq` topic (end offsets), so a run's new ones are the
difference. CPU: seconds per process of the stack between two `loadtests.cpu` snapshots.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from loadtests.load.window import increase
from operators.diagnostics.prometheus import PrometheusApi
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS


def cache_hit_ratio(api: PrometheusApi, start: float, end: float) -> float | None:
    served = increase(api, 'conveyor_cache_lookups_total{result=~"hit|stale"}', start, end)
    total = increase(api, "conveyor_cache_lookups_total", start, end)
    return round(served / total, 4) if total > 0 else None


async def dead_letters(bootstrap: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [
            TopicPartition(t.name, p)
            for t in TOPICS if t.name.endswith(DLQ_SUFFIX)
            for p in range(t.partitions)
        ]  # fmt: skip
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}


def per_thousand(seconds: dict[str, float], count: int) -> dict[str, float]:
    if count <= 0:
        return {}
    return {name: round(value * 1000 / count, 2) for name, value in seconds.items()}
