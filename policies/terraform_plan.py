"""Translate the synthesized Pulumi graph into Terraform plan JSON for checkov (pure).

checkov's `terraform_plan` framework reads `planned_values` (attribute values) and
`configuration` (expressions with `references`, from which its graph checks draw edges).
pulumi-aws wraps the Terraform provider, so each aws resource becomes the Terraform resource it
wraps: the type from the bridge metadata, attribute names snake_cased (or renamed where the bridge
renamed them), and every value that came from another resource (its mock id, arn, an identifier
output, or its name; see `synth_graph.Graph.resolve`) replaced by the Terraform reference to it
(`aws_security_group.db.id`), exactly as it would read in HCL, so
checkov sees the same edges as in a Terraform project. Nested objects stay objects: checkov wraps
an object and a one-element list of objects the same way, so Pulumi's flattened single blocks
need no schema to read right.

Only custom `aws:*` resources are translated; components, providers and `kubernetes:*` objects
are not Terraform resources (the rendered manifests are scanned by checkov's kubernetes
framework instead). An aws type missing from the map raises, naming the command that adds it:
a resource silently left out would be a resource silently unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from policies.synth_graph import Graph, Resource, Target
from policies.terraform_types import TypeMap, UnmappedTypeError

# Properties whose values are maps of user keys (tag names such as `cost-center`), not objects.
MAP_PROPERTIES = frozenset({"tags", "tagsAll", "labels"})
PROVIDER = "registry.terraform.io/hashicorp/aws"
_CAMEL_BOUNDARY = (re.compile(r"([A-Z]+)([A-Z][a-z])"), re.compile(r"([a-z0-9])([A-Z])"))
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def snake_case(name: str) -> str:
    """Pulumi's camelCase wire name -> Terraform's (`ipv6CidrBlock` -> `ipv6_cidr_block`)."""
    for pattern in _CAMEL_BOUNDARY:
        name = pattern.sub(r"\1_\2", name)
    return name.lower()


def translated(resource: Resource) -> bool:
    return resource.custom and resource.type.startswith("aws:")


def not_translated(graph: Graph) -> list[str]:
    """Types left out (components, providers, kubernetes objects), for the report."""
    return sorted({r.type for r in graph.resources if not translated(r)})


def addresses(graph: Graph, types: TypeMap) -> dict[str, str]:
    """URN -> Terraform address, unique, a valid HCL identifier (`-` would parse as minus)."""
    unmapped = sorted({r.type for r in graph.resources if translated(r)} - set(types.resources))
    if unmapped:
        raise UnmappedTypeError(
            f"no Terraform type for {', '.join(unmapped)}; add them with "
            f"`.venv/bin/python -m policies.terraform_types refresh --add <token>`"
        )
    taken: set[str] = set()
    result: dict[str, str] = {}
    for resource in graph.resources:
        if not translated(resource):
            continue
        base = _NOT_NAME.sub("_", resource.name)
        base = base if base[:1].isalpha() or base[:1] == "_" else f"r_{base}"
        tf_type = types.resources[resource.type]
        name, n = base, 1
        while f"{tf_type}.{name}" in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(f"{tf_type}.{name}")
        result[resource.urn] = f"{tf_type}.{name}"
    return result


class Reference(str):
    """A value that is another resource's attribute, written as Terraform refers to it."""

    __slots__ = ()

    @property
    def address(self) -> str:
        return ".".join(self.split(".")[:2])


def _reference(target: Target, address_of: dict[str, str]) -> Reference | None:
    address = address_of.get(target.resource.urn)
    if address is None:
        return None
    parts: list[str] = []
    for i, step in enumerate(target.path):
        if isinstance(step, int):
            parts[-1] = f"{parts[-1].removesuffix('[0]')}[{step}]"
            continue
        block = i + 1 < len(target.path) and not isinstance(target.path[i + 1], int)
        parts.append(snake_case(step) + ("[0]" if block else ""))
    return Reference(".".join([address, *parts]))


Resolver = Callable[[str, Any], Reference | None]


def _values(value: Any, resolve: Resolver, key: str, *, is_map: bool = False) -> Any:
    if isinstance(value, dict):
        return {
            (k if is_map else snake_case(k)): _values(item, resolve, k)
            for k, item in value.items()
            if not k.startswith("__")
        }
    if isinstance(value, list):
        return [_values(item, resolve, key) for item in value]
    return resolve(key, value) or value


def _expressions(values: Any) -> Any:
    """Terraform's `configuration` form: constants, `references`, nested blocks as lists."""
    if isinstance(values, dict):
        return {key: _expression(item) for key, item in values.items()}
    return {}


def _expression(value: Any) -> Any:
    found = sorted(set(_found_references(value)))
    if isinstance(value, dict) and found:
        return [_expressions(value)]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and found:
        return [_expressions(v) for v in value]
    if found:
        return {"references": [x for ref in found for x in (ref, ref.address)]}
    return {"constant_value": value}


def _found_references(value: Any) -> list[Reference]:
    if isinstance(value, dict):
        return [r for item in value.values() for r in _found_references(item)]
    if isinstance(value, list):
        return [r for item in value for r in _found_references(item)]
    return [value] if isinstance(value, Reference) else []


def resource_values(
    graph: Graph, resource: Resource, types: TypeMap, address_of: dict[str, str]
) -> dict[str, Any]:
    renames = types.properties.get(resource.type, {})

    def resolve(key: str, value: Any) -> Reference | None:
        target = graph.resolve(resource, key, value)
        return _reference(target, address_of) if target else None

    return {
        renames.get(key, snake_case(key)): _values(
            value, resolve, key, is_map=key in MAP_PROPERTIES
        )
        for key, value in sorted(resource.inputs.items())
        if not key.startswith("__")
    }


def translate(graph: Graph, types: TypeMap) -> dict[str, Any]:
    """The plan JSON checkov reads: planned values, configuration references, changes."""
    address_of = addresses(graph, types)
    planned: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for resource in graph.resources:
        if resource.urn not in address_of:
            continue
        address = address_of[resource.urn]
        tf_type, name = address.split(".", 1)
        values = resource_values(graph, resource, types, address_of)
        head = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        planned.append({**head, "provider_name": PROVIDER, "schema_version": 0, "values": values})
        configured.append(
            {**head, "provider_config_key": "aws", "expressions": _expressions(values)}
        )
        changes.append(
            {
                **head,
                "provider_name": PROVIDER,
                "change": {"actions": ["create"], "before": None, "after": values},
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": PROVIDER,
                    "expressions": {"region": {"constant_value": graph.config.get("aws:region")}},
                }
            },
            "root_module": {"resources": configured},
        },
        "variables": {},
    }
