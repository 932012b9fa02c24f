"""The synthesized graph as CrossGuard sees a stack: policy arguments and `PolicyResource`s (pure).

Property dependencies are rebuilt from values: a property that holds another resource's mock id or
arn depends on that resource, which is what the engine would report for the same program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)

from policies.crossguard.rules import POLICIES
from policies.synth_graph import Graph, Resource


@dataclass(frozen=True)
class Violation:
    policy: str
    message: str
    urn: str | None


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


def _sources(graph: Graph, owner: Resource, key: str, value: Any) -> list[Resource]:
    if isinstance(value, dict):
        return [r for v in value.values() for r in _sources(graph, owner, key, v)]
    if isinstance(value, list):
        return [r for v in value for r in _sources(graph, owner, key, v)]
    target = graph.resolve(owner, key, value)
    return [target.resource] if target else []


def resource_args(resource: Resource) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource.type, resource.inputs, resource.urn, resource.name, _options(resource), None
    )


def stack_resources(graph: Graph) -> list[PolicyResource]:
    nodes: dict[str, PolicyResource] = {}
    for r in graph.resources:
        props = r.state or r.inputs  # a stack policy sees outputs
        nodes[r.urn] = PolicyResource(r.type, props, r.urn, r.name, _options(r), None, None, [], {})
    for r in graph.resources:
        node = nodes[r.urn]
        for key, value in r.inputs.items():
            deps = list({s.urn: nodes[s.urn] for s in _sources(graph, r, key, value)}.values())
            if deps:
                node.property_dependencies[key] = deps
                node.dependencies.extend(d for d in deps if d not in node.dependencies)
    return list(nodes.values())


def evaluate(graph: Graph) -> list[Violation]:
    """Every CrossGuard violation for the stack, as `pulumi preview` would report them."""
    violations: list[Violation] = []
    stack = StackValidationArgs(stack_resources(graph))
    for policy in POLICIES:
        if isinstance(policy, ResourceValidationPolicy):
            for resource in (r for r in graph.resources if r.custom):
                policy.validate(
                    resource_args(resource), _reporter(violations, policy, resource.urn)
                )
        else:
            policy.validate(stack, _reporter(violations, policy, None))
    return violations


def _reporter(
    violations: list[Violation], policy: Policy, default_urn: str | None
) -> ReportViolation:
    def report(message: str, urn: str | None = None) -> None:
        violations.append(Violation(policy.name, message, urn or default_urn))

    return report
