"""The dead-letter headers: one record writes them and reads them back, whatever else travels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workloads.contracts.topics import dlq_topic
from workloads.shared.messaging import dead_letters
from workloads.shared.messaging.dead_letters import (
    DeadLetter,
    carried_over,
    describe,
    redriven_from,
)
from workloads.shared.messaging.dlq import DeadLetterRecord
from workloads.shared.messaging.envelope import header_map

LETTER = DeadLetter(
    error="PoisonMessageError: not an envelope",
    attempts=3,
    original_topic="payments.commands",
    original_partition=4,
    original_offset=1207,
    consumer_group="payment",
    failed_at=datetime(2026, 12, 1, 22, 40, 5, 123456, tzinfo=UTC),
)


def test_a_dead_letter_read_back_from_its_headers_is_the_same() -> None:
    assert DeadLetter.from_headers(header_map(LETTER.to_headers())) == LETTER


def test_every_dead_letter_header_carries_the_prefix_the_redrive_strips() -> None:
    names = [name for name, _ in LETTER.to_headers()]
    assert len(names) == len(set(names))
    assert all(name.startswith(dead_letters.PREFIX) for name in names)
    assert redriven_from(dlq_topic("t.x"), 3)[0].startswith(dead_letters.PREFIX)


def test_a_record_dead_lettered_again_keeps_its_own_headers_and_only_the_latest_failure() -> None:
    own = [("event_type", b"ProcessPayment"), ("traceparent", b"00-abc-def-01")]
    earlier = [*own, *LETTER.to_headers(), redriven_from(dlq_topic("payments.commands"), 9)]
    latest = DeadLetter(**{**vars(LETTER), "attempts": 5, "original_offset": 2000})
    headers = [*carried_over(earlier), *latest.to_headers()]
    assert carried_over(headers) == own
    assert DeadLetter.from_headers(header_map(headers)) == latest


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({}, dead_letters.ERROR),
        ({**header_map(LETTER.to_headers()), dead_letters.ATTEMPTS: "three"}, "attempts"),
        ({**header_map(LETTER.to_headers()), dead_letters.FAILED_AT: "yesterday"}, "failed_at"),
    ],
)
def test_headers_that_are_not_a_dead_letter_are_refused_by_name(
    headers: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        DeadLetter.from_headers(headers)


def test_a_record_without_dead_letter_headers_is_redriven_to_the_topic_its_queue_belongs_to() -> (
    None
):
    record = DeadLetterRecord(dlq_topic("payments.commands"), 0, "k", {"event_type": "X"}, b"")
    assert record.letter is None
    assert (record.original_topic, record.error) == ("payments.commands", "")
    written = DeadLetterRecord(dlq_topic("x.y"), 1, "k", header_map(LETTER.to_headers()), b"")
    assert written.letter == LETTER
    assert written.original_topic == LETTER.original_topic


def test_an_error_is_recorded_by_type_and_message_and_cut_to_the_limit() -> None:
    assert describe(ValueError("bad")) == "ValueError: bad"
    assert len(describe(RuntimeError("x" * 5000))) == dead_letters.ERROR_LIMIT
