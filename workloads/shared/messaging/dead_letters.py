"""What a dead letter says about itself, in its `dlq.*` Kafka headers: written and read here only.

The consumer writes a `DeadLetter` as headers when it parks a record on `<topic>.dlq`
(`consumer.py`); the redrive and the `conveyor dlq` command read it back (`dlq.py`,
`operators/cli/dlq.py`). The record's own headers (envelope ids, trace context) travel alongside
unchanged; earlier `dlq.*` headers are dropped, so a record dead-lettered again carries only its
latest failure. Reading is strict: a record whose headers are missing or malformed is not a dead
letter this code wrote, and `from_headers` says which header is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

PREFIX = "dlq."
ERROR = PREFIX + "error"
ATTEMPTS = PREFIX + "attempts"
ORIGINAL_TOPIC = PREFIX + "original_topic"
ORIGINAL_PARTITION = PREFIX + "original_partition"
ORIGINAL_OFFSET = PREFIX + "original_offset"
CONSUMER_GROUP = PREFIX + "consumer_group"
FAILED_AT = PREFIX + "failed_at"
REDRIVEN_FROM = PREFIX + "redriven_from"  # set on a redriven record: `<dlq topic>@<offset>`
ERROR_LIMIT = 2000  # characters of the error kept; a header is no place for a whole traceback

KafkaHeaders = Iterable[tuple[str, bytes]]
T = TypeVar("T")


@dataclass(frozen=True)
class DeadLetter:
    """Why a record was given up on, by whom, when, and where it came from."""

    error: str
    attempts: int
    original_topic: str
    original_partition: int
    original_offset: int
    consumer_group: str
    failed_at: datetime

    def to_headers(self) -> list[tuple[str, bytes]]:
        return [
            (ERROR, self.error.encode()),
            (ATTEMPTS, str(self.attempts).encode()),
            (ORIGINAL_TOPIC, self.original_topic.encode()),
            (ORIGINAL_PARTITION, str(self.original_partition).encode()),
            (ORIGINAL_OFFSET, str(self.original_offset).encode()),
            (CONSUMER_GROUP, self.consumer_group.encode()),
            (FAILED_AT, self.failed_at.isoformat().encode()),
        ]

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> DeadLetter:
        """Read a dead letter from decoded headers; ValueError names a missing or bad one."""
        return cls(
            error=_header(headers, ERROR, str),
            attempts=_header(headers, ATTEMPTS, int),
            original_topic=_header(headers, ORIGINAL_TOPIC, str),
            original_partition=_header(headers, ORIGINAL_PARTITION, int),
            original_offset=_header(headers, ORIGINAL_OFFSET, int),
            consumer_group=_header(headers, CONSUMER_GROUP, str),
            failed_at=_header(headers, FAILED_AT, datetime.fromisoformat),
        )


def _header(headers: Mapping[str, str], name: str, parse: Callable[[str], T]) -> T:
    if name not in headers:
        raise ValueError(f"not a dead letter: no {name} header")
    try:
        return parse(headers[name])
    except ValueError as exc:
        raise ValueError(f"not a dead letter: {name}={headers[name]!r}: {exc}") from None


def describe(error: BaseException) -> str:
    """An error as a dead letter records it: `TypeName: message`, cut to `ERROR_LIMIT`."""
    return f"{type(error).__name__}: {error}"[:ERROR_LIMIT]


def carried_over(headers: KafkaHeaders | None) -> list[tuple[str, bytes]]:
    """A record's own headers, without the `dlq.*` ones of an earlier failure or redrive."""
    return [(key, value) for key, value in headers or () if not key.startswith(PREFIX)]


def redriven_from(dlq_topic: str, offset: int) -> tuple[str, bytes]:
    """The header a redriven record carries: which dead letter it was."""
    return (REDRIVEN_FROM, f"{dlq_topic}@{offset}".encode())
