"""The machine's raw limits, measured with the project's own clients: what the saga is measured
against.

- `kafka_messages_per_second`: one producer from the project's factory (idempotent, acks=all)
  sends serialised OrderCreated envelopes (key, value and headers as the services send them) to
  a throwaway topic for the given time while a group consumer from the same factory (joined
  before the clock starts) reads them concurrently; the figure is messages consumed divided by
  the time from the first send to the last message consumed. The topic is deleted afterwards.
- `postgres_commits_per_second`: N asyncpg connections each commit one-row INSERT transactions
  (BEGIN; INSERT; COMMIT, as a saga step does) into a scratch table for the given time; the table
  is dropped afterwards.
- `driver_requests_per_second`: the driver's aiohttp client (the loop of loadtests/saga.py:
  one session, at most `in_flight` requests, a JSON order body and an Idempotency-Key) against
  loadtests/trivial_server.py, a separate process on 127.0.0.1, for the given time.
Any failure raises; cleanup (topic, table, server process) runs in every case.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from loadtests.saga import Progress
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from workloads.contracts.events import OrderCreated, PricedOrderLine
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.messaging.kafka import KafkaSettings, create_consumer, create_producer


def sample_envelope() -> Envelope:
    """An envelope of the size the saga sends: an OrderCreated with one priced line."""
    order_id = str(uuid.uuid4())
    payload = OrderCreated(
        order_id=order_id,
        customer_id="customer-42",
        items=[PricedOrderLine(product_id="demo-0123abcd-7", quantity=2, unit_price_cents=1999)],
        total_cents=3998,
    )
    return Envelope.wrap(payload, correlation_id=order_id)


async def kafka_messages_per_second(
    stack: LocalStack, *, seconds: float, progress: Progress
) -> float:
    settings = KafkaSettings(bootstrap_servers=stack.kafka.bootstrap_servers, client_id="bench")
    topic = f"bench-limits-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**settings.connection(), client_id="bench-admin")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, replication_factor=1)])
        return await _produce_consume(settings, topic, seconds=seconds, progress=progress)
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def _produce_consume(
    settings: KafkaSettings, topic: str, *, seconds: float, progress: Progress
) -> float:
    envelope = sample_envelope()
    value, headers = envelope.to_value(), envelope.headers()
    producer = create_producer(settings)
    consumer = create_consumer(settings, topic, group_id=f"{topic}-reader")
    await producer.start()
    await consumer.start()
    try:
        joined = time.monotonic() + 60
        while not consumer.assignment():  # join the group first: the clock measures transfer
            await consumer.getmany(timeout_ms=100)
            if time.monotonic() > joined:
                raise TimeoutError(f"kafka: the consumer never joined its group on {topic}")
        done_sending = asyncio.Event()
        sent = received = 0

        async def consume() -> None:
            nonlocal received
            while not (done_sending.is_set() and received >= sent):
                batches = await consumer.getmany(timeout_ms=200)
                received += sum(len(records) for records in batches.values())

        began = time.monotonic()
        reader = asyncio.create_task(consume())
        while time.monotonic() - began < seconds:
            pending: list[asyncio.Future[Any]] = []
            for _ in range(500):
                key = str(sent % 1000).encode()
                pending.append(await producer.send(topic, value, key=key, headers=headers))
                sent += 1
            await asyncio.gather(*pending)
            progress(f"limits: kafka, {sent} messages sent, {received} consumed")
        done_sending.set()
        try:
            await asyncio.wait_for(reader, timeout=60)
        except TimeoutError as exc:
            raise TimeoutError(f"kafka: only {received} of {sent} messages came back") from exc
        return round(received / (time.monotonic() - began), 1)
    finally:
        await consumer.stop()
        await producer.stop()


async def postgres_commits_per_second(
    stack: LocalStack, *, seconds: float, connections: int, progress: Progress
) -> float:
    table = f"bench_limits_{uuid.uuid4().hex[:8]}"
    dsn = stack.postgres.admin_dsn()
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, body jsonb NOT NULL)")
    try:
        progress(f"limits: postgres, {connections} connections committing for {seconds:.0f} s")
        conns = [await asyncpg.connect(dsn) for _ in range(connections)]
        try:
            insert = f"INSERT INTO {table} VALUES ($1, $2)"  # noqa: S608 (our own random name)
            deadline = time.monotonic() + seconds
            began = time.monotonic()

            async def commit_loop(conn: asyncpg.Connection) -> int:
                commits = 0
                while time.monotonic() < deadline:
                    async with conn.transaction():
                        await conn.execute(insert, uuid.uuid4(), '{"n": 1}')
                    commits += 1
                return commits

            total = sum(await asyncio.gather(*(commit_loop(c) for c in conns)))
            return round(total / (time.monotonic() - began), 1)
        finally:
            for conn in conns:
                await conn.close()
    finally:
        await admin.execute(f"DROP TABLE IF EXISTS {table}")
        await admin.close()


async def driver_requests_per_second(
    *, seconds: float, in_flight: int, progress: Progress
) -> float:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loadtests.trivial_server", cwd=REPO_ROOT, stdout=subprocess.PIPE
    )
    try:
        line = await server.stdout.readline() if server.stdout else b""
        if not line.strip().isdigit():
            raise RuntimeError(f"the trivial server did not start (exit {server.returncode})")
        url = f"http://127.0.0.1:{int(line)}/v1/orders"
        progress(f"limits: driver, {in_flight} in flight for {seconds:.0f} s")
        return await _client_loop(url, seconds=seconds, in_flight=in_flight)
    finally:
        if server.returncode is None:
            server.terminate()
        await asyncio.wait_for(server.wait(), timeout=10)


async def _client_loop(url: str, *, seconds: float, in_flight: int) -> float:
    connector = aiohttp.TCPConnector(limit=in_flight)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        deadline = time.monotonic() + seconds
        began = time.monotonic()

        async def worker(n: int) -> int:
            done = 0
            while time.monotonic() < deadline:
                body = {
                    "customer_id": f"customer-{n % 97}",
                    "items": [{"product_id": "demo-0123abcd-7", "quantity": 1 + n % 3}],
                    "payment": {"card_token": "tok_visa"},
                }
                headers = {"Idempotency-Key": str(uuid.uuid4())}
                async with session.post(url, json=body, headers=headers) as response:
                    await response.json()
                done += 1
            return done

        total = sum(await asyncio.gather(*(worker(n) for n in range(in_flight))))
        return round(total / (time.monotonic() - began), 1)


async def measure(
    stack: LocalStack, *, seconds: float, progress: Progress, connections: int = 8
) -> dict[str, float]:
    """All three limits, one after the other (never concurrently: each would slow the others)."""
    steps: list[tuple[str, Callable[[], Awaitable[float]]]] = [
        ("kafka_messages_per_second",
         lambda: kafka_messages_per_second(stack, seconds=seconds, progress=progress)),
        ("postgres_commits_per_second",
         lambda: postgres_commits_per_second(
             stack, seconds=seconds, connections=connections, progress=progress)),
        ("driver_requests_per_second",
         lambda: driver_requests_per_second(seconds=seconds, in_flight=128, progress=progress)),
    ]  # fmt: skip
    return {name: await step() for name, step in steps}
