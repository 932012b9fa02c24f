"""The synthesized resource graph (build/synth/<env>.json, contract in docs) as typed data.

Only what pricing needs is kept: type, name, inputs, parent. Each resource is attributed to the
concern that owns it — the outermost ComponentResource under the stack (network, cluster,
database, cache, streaming, observability, add-ons) — so costs roll up per component.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

SUPPORTED_FORMAT = 1
STACK_TYPE = "pulumi:pulumi:Stack"
UNPARENTED = "unparented"


class GraphError(ValueError):
    """The synth artifact does not follow the contract."""


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    custom: bool
    id: str | None
    inputs: Mapping[str, Any]
    parent: str | None

    def with_inputs(self, **changes: Any) -> Resource:
        """A copy with some inputs replaced: how capacity resizes a resource for a load."""
        return replace(self, inputs={**self.inputs, **changes})


@dataclass(frozen=True)
class SynthGraph:
    stack: str
    config: Mapping[str, Any]
    resources: tuple[Resource, ...]
    _by_urn: Mapping[str, Resource] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_urn", {r.urn: r for r in self.resources})

    def by_urn(self, urn: str) -> Resource | None:
        return self._by_urn.get(urn)

    def by_id(self, physical_id: str) -> Resource | None:
        return next((r for r in self.resources if r.id == physical_id), None)

    def component_of(self, resource: Resource) -> str:
        """The outermost component (below the stack) among the resource's ancestors."""
        owner: Resource | None = None
        current = self.by_urn(resource.parent) if resource.parent else None
        while current is not None:
            if not current.custom and current.type != STACK_TYPE:
                owner = current
            current = self.by_urn(current.parent) if current.parent else None
        return component_name(owner.type) if owner is not None else UNPARENTED

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    def replacing(self, resources: Mapping[str, Resource]) -> SynthGraph:
        """A copy with the resources of the given URNs replaced."""
        return SynthGraph(
            stack=self.stack,
            config=self.config,
            resources=tuple(resources.get(r.urn, r) for r in self.resources),
        )


def component_name(type_token: str) -> str:
    """`conveyor:platform:AddOns` → `add-ons`; `conveyor:index:Network` → `network`."""
    last = type_token.rsplit(":", 1)[-1]
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", last)
    name = "-".join(w.lower() for w in words) or last.lower()
    return {"addons": "add-ons", "add-on": "add-ons"}.get(name, name)


def parse_graph(data: Mapping[str, Any]) -> SynthGraph:
    """Validate the contract's shape and build the graph; errors name the offending field."""
    if data.get("format") != SUPPORTED_FORMAT:
        raise GraphError(f"synth format {data.get('format')!r} is not {SUPPORTED_FORMAT}")
    raw = data.get("resources")
    if not isinstance(raw, list):
        raise GraphError("synth artifact has no `resources` list")
    resources = []
    for index, item in enumerate(raw):
        try:
            resources.append(
                Resource(
                    urn=str(item["urn"]),
                    type=str(item["type"]),
                    name=str(item["name"]),
                    custom=bool(item["custom"]),
                    id=item.get("id"),
                    inputs=dict(item.get("inputs") or {}),
                    parent=item.get("parent"),
                )
            )
        except (KeyError, TypeError) as exc:
            raise GraphError(f"resources[{index}] lacks {exc}") from exc
    return SynthGraph(
        stack=str(data.get("stack", "")),
        config=dict(data.get("config") or {}),
        resources=tuple(resources),
    )
