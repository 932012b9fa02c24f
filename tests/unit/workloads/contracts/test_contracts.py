"""Message contracts: files match models, versions only add optional fields, consumers read all."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from workloads.catalog.consumers import READS as CATALOG
from workloads.contracts.compatibility import breaking_changes
from workloads.contracts.registry import MESSAGES
from workloads.contracts.schemas import SCHEMA_DIR, load, render, rendered_files
from workloads.contracts.topics import TOPICS
from workloads.inventory.consumers import READS as INVENTORY
from workloads.notification.consumers import READS as NOTIFICATION
from workloads.order.consumers import READS as ORDER
from workloads.payment.consumers import READS as PAYMENT
from workloads.shared.messaging.consumer import Reads
from workloads.shipping.consumers import READS as SHIPPING

CONSUMERS: dict[str, list[Reads]] = {
    **ORDER,
    **INVENTORY,
    **PAYMENT,
    **NOTIFICATION,
    **CATALOG,
    **SHIPPING,
}


def sample(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:  # noqa: PLR0911
    """A full example instance of a schema: every property present, optional ones included."""
    root = root or schema
    if "$ref" in schema:
        return sample(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
    if "anyOf" in schema:
        return sample(next(s for s in schema["anyOf"] if s.get("type") != "null"), root)
    kind = schema.get("type")
    if kind == "object":
        return {name: sample(prop, root) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample(schema["items"], root)]
    if kind == "integer":
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return True
    return "x"


def test_schema_files_are_current() -> None:
    expected = rendered_files()
    on_disk = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert on_disk == expected, "schema files drifted: run `conveyor schemas write`"


@pytest.mark.parametrize("spec", MESSAGES.values(), ids=lambda s: s.message_type)
def test_every_new_version_only_adds_optional_fields(spec: Any) -> None:
    for old, new in zip(spec.versions, spec.versions[1:], strict=False):
        assert breaking_changes(render(old), render(new)) == []


def test_the_compatibility_check_catches_each_kind_of_break() -> None:
    v1: dict[str, Any] = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
    }
    assert (
        breaking_changes(v1, {**v1, "properties": {**v1["properties"], "b": {"type": "string"}}})
        == []
    )
    required = {
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a", "b"],
    }
    assert breaking_changes(v1, required) == ["new required field 'b'"]
    assert breaking_changes(v1, {"properties": {}, "required": []}) == [
        "required field 'a' became optional", "field 'a' was removed",
    ]  # fmt: skip
    retyped = {"properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert breaking_changes(v1, retyped) == ["field 'a' changed its schema"]
    assert breaking_changes(v1, {**v1, "additionalProperties": False}) == [
        "new schema is closed (additionalProperties: false)"
    ]


def test_every_message_topic_is_declared() -> None:
    declared = {t.name for t in TOPICS}
    assert {spec.topic for spec in MESSAGES.values()} <= declared


@pytest.mark.parametrize(
    ("group", "reads"),
    [(g, r) for g, rs in CONSUMERS.items() for r in rs],
    ids=lambda v: v if isinstance(v, str) else v.message_type,
)
def test_consumer_reads_every_version_producers_may_send(group: str, reads: Reads) -> None:
    spec = MESSAGES[reads.message_type]
    assert reads.versions <= {m.version for m in spec.versions}, (
        f"{group} declares unknown versions"
    )
    for model in spec.versions:
        schema = load(spec.message_type, model.version)
        payload = sample(schema)
        jsonschema.validate(payload, schema)
        parsed = reads.model.model_validate(payload)  # the consumer's own (possibly older) model
        for field in reads.model.model_fields:
            assert getattr(parsed, field) is not None or field not in schema.get("required", [])


def test_the_old_notification_consumer_reads_order_confirmed_v2() -> None:
    confirmed = next(r for r in NOTIFICATION["notification"] if r.message_type == "OrderConfirmed")
    assert confirmed.versions == frozenset({1}), "notification is the deliberate v1 consumer"
    v2 = sample(load("OrderConfirmed", 2))
    assert "item_count" in v2
    parsed = confirmed.model.model_validate(v2)
    assert parsed.model_dump()["order_id"] == v2["order_id"]
    assert not hasattr(parsed, "item_count")
