"""Traffic really flows through Toxiproxy: Kafka clients stay behind it, PostgreSQL too."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from operators.local.faults.addresses import proxy_address
from operators.local.faults.routes import environment_through_proxy
from operators.local.faults.toxiproxy_api import ToxiproxyClient, ToxiproxyError
from operators.local.stack import LocalStack
from workloads.contracts.topics import TopicSpec
from workloads.shared.messaging.kafka import ensure_topics

TOPIC = "conveyor.test.through-proxy"  # a scratch topic: no service reads it


async def test_a_kafka_client_bootstrapped_at_the_proxy_is_told_the_proxy_again(
    stack: LocalStack, toxiproxy: ToxiproxyClient
) -> None:
    spec = TopicSpec(TOPIC, partitions=1, key="none", retention_ms=3_600_000)
    await ensure_topics(stack.kafka.client_settings(), [spec])
    address = proxy_address(stack.settings, "kafka")
    producer = AIOKafkaProducer(bootstrap_servers=address, request_timeout_ms=3_000)
    await producer.start()
    try:
        await producer.send_and_wait(TOPIC, b"through the proxy", key=b"chaos-proxy-test")
        brokers = {f"{b.host}:{b.port}" for b in producer.client.cluster.brokers()}
        assert brokers == {address}  # not the broker's own 127.0.0.1 listener
        toxiproxy.set_enabled("kafka", enabled=False)
        with pytest.raises((KafkaError, asyncio.TimeoutError)):
            await asyncio.wait_for(producer.send_and_wait(TOPIC, b"cut", key=b"x"), timeout=8)
    finally:
        toxiproxy.set_enabled("kafka", enabled=True)
        await producer.stop()


async def test_a_latency_toxic_delays_the_proxied_database(
    stack: LocalStack, toxiproxy: ToxiproxyClient
) -> None:
    dsn = environment_through_proxy(stack, "payment", ("postgres",))["DATABASE_URL"]
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        toxiproxy.add_toxic("postgres", "timeout", {"timeout": 500})
        with pytest.raises((OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
            await asyncio.wait_for(conn.fetchval("SELECT 2"), timeout=5)
    finally:
        conn.terminate()
    toxiproxy.reset()
    again = await asyncpg.connect(dsn)
    try:
        assert await again.fetchval("SELECT 3") == 3  # reset undid the fault
    finally:
        await again.close()


def test_a_wrong_toxic_is_refused_with_toxiproxys_reason(toxiproxy: ToxiproxyClient) -> None:
    with pytest.raises(ToxiproxyError, match="toxic type"):
        toxiproxy.add_toxic("postgres", "no-such-toxic", {})


def test_the_service_environment_points_only_at_the_proxies(stack: LocalStack) -> None:
    env = environment_through_proxy(stack, "payment", ("kafka", "postgres", "payment-provider"))
    host_ip = proxy_address(stack.settings, "kafka").split(":")[0]
    assert env["KAFKA_BOOTSTRAP_SERVERS"].startswith(f"{host_ip}:")
    assert f"@{host_ip}:" in env["DATABASE_URL"]
    assert env["PAYMENT_PROVIDER_URL"].startswith(f"http://{host_ip}:")
    # Only what the workload uses is moved (names only: the values hold passwords).
    assert sorted(environment_through_proxy(stack, "gateway", ("postgres", "kafka"))) == []
    assert sorted(environment_through_proxy(stack, "inventory", ("postgres",))) == ["DATABASE_URL"]
