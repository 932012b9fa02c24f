"""The evolution rule for message schemas, as a pure function over two JSON Schemas.

A new version may add optional properties and nothing else: no new required field, no removed or
retyped field, no field made optional (a v1 consumer relies on it), and never a closed schema
(`additionalProperties: false` would make every old consumer reject a newer payload).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way `new` would break a consumer built for `old`; empty when compatible."""
    problems: list[str] = []
    for label, schema in (("old", old), ("new", new)):
        if schema.get("additionalProperties") is False:
            problems.append(f"{label} schema is closed (additionalProperties: false)")
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    problems += [f"new required field {f!r}" for f in sorted(new_required - old_required)]
    problems += [
        f"required field {f!r} became optional" for f in sorted(old_required - new_required)
    ]
    for name, definition in old_props.items():
        if name not in new_props:
            problems.append(f"field {name!r} was removed")
        elif new_props[name] != definition:
            problems.append(f"field {name!r} changed its schema")
    old_defs: dict[str, Any] = old.get("$defs", {})
    new_defs: dict[str, Any] = new.get("$defs", {})
    for name, definition in old_defs.items():
        if new_defs.get(name, definition) != definition:
            problems.append(f"shared definition {name!r} changed")
    return problems
