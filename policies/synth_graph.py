"""The synthesized resource graph (`build/synth/<env>.json`), as the policy checks read it.

The platform's `conveyor synth` writes it under Pulumi's mocks (contract: format 1). Every custom
resource has a mock id and, for aws resources, an arn in its state; inputs that refer to another
resource hold that resource's id or arn, which is how edges are recovered here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPPORTED_FORMAT = 1


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    state: dict[str, Any]
    parent: str | None = None
    provider: str | None = None

    @property
    def arn(self) -> str | None:
        value = self.state.get("arn")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Graph:
    project: str
    stack: str
    resources: list[Resource]
    config: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_reference(self) -> dict[str, tuple[Resource, str]]:
        """Each resource's id and arn -> (resource, attribute), to turn values back into edges."""
        index: dict[str, tuple[Resource, str]] = {}
        for resource in self.resources:
            if not resource.custom:
                continue
            if resource.id:
                index[resource.id] = (resource, "id")
            if resource.arn:
                index[resource.arn] = (resource, "arn")
        return index


class GraphFormatError(ValueError):
    """The file does not follow the synth contract this code was written against."""


def parse(raw: dict[str, Any]) -> Graph:
    if raw.get("format") != SUPPORTED_FORMAT:
        raise GraphFormatError(f"synth format {raw.get('format')!r}, expected {SUPPORTED_FORMAT}")
    return Graph(
        project=raw["project"],
        stack=raw["stack"],
        config=dict(raw.get("config") or {}),
        outputs=dict(raw.get("outputs") or {}),
        resources=[
            Resource(
                urn=r["urn"],
                type=r["type"],
                name=r["name"],
                custom=bool(r["custom"]),
                id=r.get("id"),
                inputs=dict(r.get("inputs") or {}),
                state=dict(r.get("state") or {}),
                parent=r.get("parent"),
                provider=r.get("provider"),
            )
            for r in raw["resources"]
        ],
    )


def load(path: Path) -> Graph:
    return parse(json.loads(path.read_text()))
