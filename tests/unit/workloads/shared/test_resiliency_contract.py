"""CONVEYOR_RESILIENCY is the contract between the operator and the services: both sides agree.

The operator side renders the JSON (operators/pipeline/resiliency.py); the workload side parses
it (workloads/shared/resiliency.py) and turns it into the knobs the shared code has. The
workloads never import the operator, so only these tests hold the two together.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsError
from tenacity import RetryCallState

from operators.paths import REPO_ROOT
from operators.pipeline import resiliency as rendered
from operators.pipeline.spec import load
from workloads.contracts.topics import dlq_topic
from workloads.shared.database import DatabaseSettings
from workloads.shared.messaging.consumer import EventConsumer, Reads, RetryPolicy, Subscription
from workloads.shared.messaging.dead_letters import DeadLetter
from workloads.shared.messaging.envelope import header_map
from workloads.shared.messaging.kafka import KafkaSettings
from workloads.shared.resiliency import Resiliency, Timeout
from workloads.shared.runtime import ServiceSettings

EXAMPLES = REPO_ROOT / "operators" / "examples"
CASES = [
    (name, workload)
    for name in ("local", "dev", "prod")
    for workload in sorted(load(EXAMPLES / f"{name}.yaml").spec.workloads)
]


def _rendered(example: str, workload: str) -> str:
    return rendered.as_env_value(load(EXAMPLES / f"{example}.yaml").spec, workload)


# --- operator side: what it renders, the services read without losing a key ---------------


@pytest.mark.parametrize(("example", "workload"), CASES)
def test_every_rendered_document_parses_with_the_workloads_model_losslessly(
    example: str, workload: str
) -> None:
    text = _rendered(example, workload)
    parsed = Resiliency.model_validate_json(text)
    assert parsed.model_dump(by_alias=True, exclude_none=True, mode="json") == json.loads(text)


def test_the_local_example_gives_the_services_all_three_kinds_of_policy() -> None:
    parsed = Resiliency.model_validate_json(_rendered("local", "payment"))
    postgres = parsed.target("postgres")
    assert postgres.timeout is not None
    assert postgres.retry is not None
    assert postgres.circuit_breaker is not None
    assert postgres.circuit_breaker.max_consecutive_failures == 5


# --- workload side: what it parses, it applies; absent means today's behaviour -------------


def _settings(monkeypatch: pytest.MonkeyPatch, value: str | None) -> ServiceSettings:
    if value is None:
        monkeypatch.delenv("CONVEYOR_RESILIENCY", raising=False)
    else:
        monkeypatch.setenv("CONVEYOR_RESILIENCY", value)
    return ServiceSettings(database_url=SecretStr("postgresql://x@127.0.0.1/x"))


def test_services_read_the_policies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, _rendered("local", "order"))
    retry = RetryPolicy.from_spec(settings.resiliency.target("kafka").retry)
    assert retry == RetryPolicy(max_attempts=3, initial_backoff_s=0.1, max_backoff_s=2.0)


def test_without_the_variable_every_knob_keeps_todays_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch, None)
    assert settings.resiliency == Resiliency()
    assert RetryPolicy.from_spec(settings.resiliency.target("kafka").retry) == RetryPolicy(
        max_attempts=3, initial_backoff_s=0.05, max_backoff_s=1.0, backoff="exponential"
    )
    db = DatabaseSettings(url=SecretStr("postgresql://x@127.0.0.1/x"))
    assert db.with_timeout(settings.resiliency.target("postgres").timeout) == db
    assert (db.command_timeout_s, db.statement_timeout_ms) == (10.0, 5_000)
    kafka = KafkaSettings()
    assert kafka.with_timeout(settings.resiliency.target("kafka").timeout) == kafka


def test_a_malformed_document_stops_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError):
        _settings(monkeypatch, "{not json")


def test_a_postgres_timeout_bounds_client_and_server_alike() -> None:
    db = DatabaseSettings(url=SecretStr("postgresql://x@127.0.0.1/x"))
    bounded = db.with_timeout(Timeout(policy="general", duration="2500ms", seconds=2.5))
    assert (bounded.command_timeout_s, bounded.statement_timeout_ms) == (2.5, 2_500)


def test_a_kafka_timeout_is_the_request_timeout() -> None:
    bounded = KafkaSettings().with_timeout(Timeout(policy="t", duration="5s", seconds=5.0))
    assert bounded.request_timeout_ms == 5_000


def _waits(policy: RetryPolicy, attempts: int) -> list[float]:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    wait = policy.wait()
    waits = []
    for number in range(1, attempts + 1):
        state.attempt_number = number
        waits.append(wait(state))
    return waits


def test_constant_backoff_waits_the_initial_interval_every_time() -> None:
    assert _waits(RetryPolicy(initial_backoff_s=0.3, backoff="constant"), 4) == [0.3] * 4


def test_exponential_backoff_doubles_with_jitter_and_stops_at_the_maximum() -> None:
    waits = _waits(RetryPolicy(initial_backoff_s=0.1, max_backoff_s=0.5), 6)
    for number, waited in enumerate(waits):
        base = 0.1 * 2**number
        assert min(base, 0.5) <= waited <= min(base + 0.1, 0.5)
    assert waits[-1] == 0.5


class _Sent:
    def __await__(self) -> Any:
        return iter(())


class _Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[tuple[str, bytes]]]] = []

    async def send(self, topic: str, **record: Any) -> _Sent:
        self.sent.append((topic, record["headers"]))
        return _Sent()


async def test_a_poison_record_is_tried_as_often_as_the_policy_says_then_dead_lettered() -> None:
    from aiokafka import ConsumerRecord  # noqa: PLC0415 - only this test builds records

    from workloads.contracts import events as ev  # noqa: PLC0415

    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def never(*_: object) -> None:
        raise AssertionError("a poison record never reaches its handler")

    producer = _Producer()
    consumer = EventConsumer(
        group="g",
        subscriptions=[Subscription(Reads("ProcessPayment", frozenset({1}), ev.Payload), never)],
        pool=None,  # type: ignore[arg-type]
        producer=producer,
        kafka=KafkaSettings(),
        retry=RetryPolicy(max_attempts=5, initial_backoff_s=2.0, backoff="constant"),
        sleep=fake_sleep,
    )
    record = ConsumerRecord(
        topic="payments.commands",
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"\x00 not an envelope",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=17,
        headers=[],
    )
    assert await consumer.handle(record) == "dead_lettered"
    assert slept == [2.0] * 4  # four waits between five tries, none of them real
    topic, headers = producer.sent[0]
    assert topic == dlq_topic("payments.commands")
    assert DeadLetter.from_headers(header_map(headers)).attempts == 5
