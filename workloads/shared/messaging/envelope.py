"""The envelope around every message on Kafka, and how it maps onto records and headers.

The record value is the whole envelope as JSON (self-describing: it survives a DLQ round trip),
and the headers repeat what infrastructure needs without parsing: event type and version for
routing, correlation and causation ids for logs, W3C trace context for traces. The record key is
the aggregate id, so all messages of one order stay in one partition, in order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workloads.contracts.events import Payload
from workloads.contracts.registry import spec_of

Headers = list[tuple[str, bytes]]
P = TypeVar("P", bound=Payload)


class PoisonMessageError(ValueError):
    """A record that can never be processed as it is: bad JSON, bad envelope, bad payload."""


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    event_type: str = Field(min_length=1)
    schema_version: int = Field(ge=1)
    occurred_at: datetime
    correlation_id: str = Field(min_length=1, max_length=128)
    causation_id: str | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls, payload: Payload, *, correlation_id: str, causation_id: str | None = None
    ) -> Envelope:
        return cls(
            event_id=uuid.uuid4(),
            event_type=payload.message_type,
            schema_version=payload.version,
            occurred_at=datetime.now(UTC),
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload.model_dump(mode="json"),
        )

    def follow_up(self, payload: Payload) -> Envelope:
        """A message caused by this one: same correlation id, causation is this event."""
        return Envelope.wrap(
            payload, correlation_id=self.correlation_id, causation_id=str(self.event_id)
        )

    @property
    def topic(self) -> str:
        return spec_of(self.event_type).topic

    def read_as(self, model: type[P]) -> P:
        """Parse the payload with the consumer's own model (which ignores newer optional fields)."""
        try:
            return model.model_validate(self.payload)
        except ValidationError as exc:
            raise PoisonMessageError(f"{self.event_type} v{self.schema_version}: {exc}") from exc

    def to_value(self) -> bytes:
        return self.model_dump_json().encode()

    def headers(self, trace: dict[str, str] | None = None) -> Headers:
        values = {
            "event_type": self.event_type,
            "schema_version": str(self.schema_version),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id or "",
            **(trace or {}),
        }
        return [(k, v.encode()) for k, v in values.items()]

    @classmethod
    def from_value(cls, value: bytes | None) -> Envelope:
        if value is None:
            raise PoisonMessageError("record has no value")
        try:
            return cls.model_validate_json(value)
        except ValidationError as exc:
            raise PoisonMessageError(f"not an envelope: {exc.errors()[0]['msg']}") from exc


def header_map(headers: Headers | tuple[tuple[str, bytes], ...] | None) -> dict[str, str]:
    return {key: value.decode(errors="replace") for key, value in headers or ()}
