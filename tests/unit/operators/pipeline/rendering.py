"""Render the examples as the operator would (a fixed uid; the Prometheus Operator present)."""

from __future__ import annotations

from typing import Any

from operators.pipeline.render import Owner, render_children
from operators.pipeline.spec import API_VERSION, KIND, OrderPipeline, OrderPipelineSpec
from tests.unit.operators.pipeline.crd_schema import example

UID = "0d8e6f7a-1111-4222-8333-944455556666"


def pipeline(name: str) -> OrderPipeline:
    return OrderPipeline.model_validate(example(name))


def owner_of(resource: OrderPipeline) -> Owner:
    return Owner(
        api_version=API_VERSION,
        kind=KIND,
        name=resource.metadata.name,
        namespace=resource.metadata.namespace,
        uid=UID,
    )


def children(name: str, *, prometheus_operator: bool = True) -> list[dict[str, Any]]:
    resource = pipeline(name)
    return render_children(
        owner_of(resource), resource.spec, prometheus_operator=prometheus_operator
    )


def spec_with(name: str, **changes: Any) -> OrderPipelineSpec:
    """The example's spec with top-level spec fields replaced (validated again)."""
    raw = example(name)
    raw["spec"].update(changes)
    return OrderPipeline.model_validate(raw).spec


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}
