"""(3) The Kafka broker stopped for 60 s, then started (`kafka_outage.KafkaOutage`)."""

from __future__ import annotations

from loadtests.chaos.scenarios.kafka_outage import KafkaOutage

DOWN_S = 60.0

SCENARIO = KafkaOutage(
    "kafka_stop", "Kafka broker stopped 60 s, then started", down_s=lambda _rng: DOWN_S
)
