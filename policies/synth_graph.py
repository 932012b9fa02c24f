"""The synthesized resource graph (`build/synth/<env>.json`): the one reader of the artifact.

`parse` validates the contract's shape (format 1; every resource with urn, type, name, custom)
and raises `GraphError` naming the offending field; `Graph` and `Resource` give typed access to
everything in the file. Read by the policy checks (checkov translation, CrossGuard), the cost
model (attribution to components, resizing copies) and the platform's tests.

The platform's `conveyor synth` writes it under Pulumi's mocks (contract: format 1). Every custom
resource has a mock id and, for aws resources, an arn; the mocks also give fixed values to the
outputs other resources consume (an EIP's allocation id, the EKS cluster's security group).
An input holding such a value was computed from that resource, which is how edges come back:
`Graph.resolve` maps a value to the resource attribute it came from, preferring the resource's
recorded `dependencies`, and, where several candidates share a value (mock ids derive from
names, and names repeat across types), the one whose type the property name speaks of
(`dbSubnetGroupName` -> the subnet group). Plain names resolve only that way, never by value
alone, so `identifier: conveyor-dev-db` does not become a reference to a parameter group.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

SUPPORTED_FORMAT = 1
STACK_TYPE = "pulumi:pulumi:Stack"
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
Path_ = tuple[str | int, ...]


def words(name: str) -> set[str]:
    """`dbSubnetGroupName` -> {db, subnet, group, name}."""
    return {w.lower() for w in _WORD.findall(name)}


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    parent: str | None = None
    provider: str | None = None
    dependencies: tuple[str, ...] = ()

    @property
    def arn(self) -> str | None:
        value = self.state.get("arn")
        return value if isinstance(value, str) else None

    def with_inputs(self, **changes: Any) -> Resource:
        """A copy with some inputs replaced: how capacity resizes a resource for a load."""
        return replace(self, inputs={**self.inputs, **changes})

    @property
    def type_words(self) -> set[str]:
        """`aws:rds/subnetGroup:SubnetGroup` -> {rds, subnet, group}."""
        module, _, kind = self.type.partition(":")[2].partition("/")
        return words(module) | words(kind.partition(":")[0])


@dataclass(frozen=True)
class Target:
    """A resource attribute a value may have come from; `by_name` marks the weak kind."""

    resource: Resource
    path: Path_
    by_name: bool = False


def _outputs(state: Any, inputs: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Identifier outputs (keys ending in Id/Arn) that the program did not set itself."""
    if isinstance(state, dict):
        for key, value in state.items():
            given = inputs.get(key) if isinstance(inputs, dict) else None
            if isinstance(value, str) and key.endswith(("Id", "Arn")) and value != given:
                yield (*path, key), value
            elif isinstance(value, dict | list):
                yield from _outputs(value, given, (*path, key))
    elif isinstance(state, list):
        for i, item in enumerate(state):
            given = inputs[i] if isinstance(inputs, list) and i < len(inputs) else None
            yield from _outputs(item, given, (*path, i))


@dataclass(frozen=True)
class Graph:
    project: str
    stack: str
    resources: Sequence[Resource]
    config: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def _by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def by_urn(self, urn: str) -> Resource | None:
        return self._by_urn.get(urn)

    def by_id(self, value: object) -> Resource | None:
        """The custom resource whose (mock) physical id is `value`."""
        return next((r for r in self.resources if r.custom and r.id == value), None)

    def by_arn(self, value: object) -> Resource | None:
        return next((r for r in self.resources if r.arn is not None and r.arn == value), None)

    def is_kms_key(self, arn: object) -> bool:
        found = self.by_arn(arn)
        return found is not None and found.type == "aws:kms/key:Key"

    def of_type(self, token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str) -> Resource:
        """The only resource of type `token`; LookupError when there are none or several."""
        found = self.of_type(token)
        if len(found) != 1:
            raise LookupError(f"expected one {token}, found {len(found)}")
        return found[0]

    def outermost_component(self, resource: Resource) -> Resource | None:
        """The outermost ComponentResource (below the stack) among the resource's ancestors."""
        owner: Resource | None = None
        current = self.by_urn(resource.parent) if resource.parent else None
        while current is not None:
            if not current.custom and current.type != STACK_TYPE:
                owner = current
            current = self.by_urn(current.parent) if current.parent else None
        return owner

    def replacing(self, resources: Mapping[str, Resource]) -> Graph:
        """A copy with the resources of the given URNs replaced."""
        return replace(self, resources=tuple(resources.get(r.urn, r) for r in self.resources))

    @cached_property
    def targets(self) -> dict[str, list[Target]]:
        index: dict[str, list[Target]] = {}
        for r in (r for r in self.resources if r.custom):
            found: list[tuple[Path_, str | None, bool]] = [(("id",), r.id, False)]
            found.append((("arn",), r.arn, False))
            found += [(p, v, False) for p, v in _outputs(r.state, r.inputs)]
            name = r.inputs.get("name")
            found.append((("name",), name if isinstance(name, str) else None, True))
            for path, value, by_name in found:
                if value:
                    index.setdefault(value, []).append(Target(r, path, by_name))
        return index

    def resolve(self, owner: Resource, key: str, value: object) -> Target | None:
        """The attribute `value` (held in `owner`'s property `key`) came from, if any."""
        if not isinstance(value, str):
            return None
        candidates = [t for t in self.targets.get(value, []) if t.resource.urn != owner.urn]
        if owner.dependencies:
            candidates = [t for t in candidates if t.resource.urn in owner.dependencies]
        wanted = words(key)

        def score(t: Target) -> tuple[int, int, int]:
            matched = len(wanted & t.resource.type_words)
            return (not t.by_name, matched, -len(t.resource.type_words))

        ranked = sorted(candidates, key=score, reverse=True)
        ranked = [t for t in ranked if not t.by_name or wanted & t.resource.type_words]
        return ranked[0] if ranked else None


class GraphError(ValueError):
    """The file does not follow the synth contract this code was written against."""


def _resource(index: int, item: Any) -> Resource:
    try:
        return Resource(
            urn=str(item["urn"]),
            type=str(item["type"]),
            name=str(item["name"]),
            custom=bool(item["custom"]),
            id=item.get("id"),
            inputs=dict(item.get("inputs") or {}),
            state=dict(item.get("state") or {}),
            parent=item.get("parent"),
            provider=item.get("provider"),
            dependencies=tuple(item.get("dependencies") or ()),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise GraphError(f"resources[{index}] lacks {exc}") from exc


def parse(raw: Mapping[str, Any]) -> Graph:
    """Validate the contract's shape and build the graph; errors name the offending field."""
    if raw.get("format") != SUPPORTED_FORMAT:
        raise GraphError(f"synth format {raw.get('format')!r}, expected {SUPPORTED_FORMAT}")
    resources = raw.get("resources")
    if not isinstance(resources, list):
        raise GraphError("synth artifact has no `resources` list")
    return Graph(
        project=str(raw.get("project", "")),
        stack=str(raw.get("stack", "")),
        config=dict(raw.get("config") or {}),
        outputs=dict(raw.get("outputs") or {}),
        resources=[_resource(i, r) for i, r in enumerate(resources)],
    )


def load(path: Path) -> Graph:
    return parse(json.loads(path.read_text()))
