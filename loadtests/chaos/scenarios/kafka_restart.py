"""(4) The Kafka broker restarted under load: a drawn 0-3 s pause between stop and start
(`kafka_outage.KafkaOutage`)."""

from __future__ import annotations

from loadtests.chaos.scenarios.kafka_outage import KafkaOutage

SCENARIO = KafkaOutage(
    "kafka_restart",
    "Kafka broker restarted under load",
    down_s=lambda rng: round(rng.uniform(0, 3), 1),
)
