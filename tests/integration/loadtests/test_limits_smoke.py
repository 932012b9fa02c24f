"""The limits measurement, a second or two each against the running stack: correctness only.

Never a timing assertion: the figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from loadtests import limits
from loadtests.bench import summarise, write_json
from operators.local.stack import LocalStack
from workloads.shared.messaging.kafka import KafkaSettings


def _quiet(_: str) -> None:
    pass


async def test_every_limit_is_measured_and_positive(stack: LocalStack) -> None:
    measured = await limits.measure(stack, seconds=1.0, progress=_quiet, connections=2)
    assert set(measured) == {
        "kafka_messages_per_second",
        "postgres_commits_per_second",
        "driver_requests_per_second",
    }
    assert all(value > 0 for value in measured.values()), measured


async def test_the_scratch_topic_and_table_are_gone_afterwards(stack: LocalStack) -> None:
    await limits.kafka_messages_per_second(stack, seconds=0.5, progress=_quiet)
    await limits.postgres_commits_per_second(stack, seconds=0.5, connections=1, progress=_quiet)
    settings = KafkaSettings(bootstrap_servers=stack.kafka.bootstrap_servers)
    admin = AIOKafkaAdminClient(**settings.connection())
    await admin.start()
    try:
        topics = await admin.list_topics()
    finally:
        await admin.close()
    assert not [t for t in topics if t.startswith("bench-limits-")]
    conn = await asyncpg.connect(stack.postgres.admin_dsn())
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE tablename LIKE 'bench_%'")
    finally:
        await conn.close()
    assert tables == []


def test_the_summary_and_files_are_written(tmp_path: Path) -> None:
    runs = [{"orders_per_second": 10.0, "lost": 0}, {"orders_per_second": 12.0, "lost": 0}]
    saga = summarise(runs)
    write_json(tmp_path / "saga.json", saga)
    assert (tmp_path / "saga.json").read_text().startswith("{")
    assert saga["orders_per_second"] == 11.0
    assert saga["runs"] == runs
    assert saga["commit"]
    assert saga["machine"]["cores"]
