"""Which component a resource's cost rolls up to: the outermost ComponentResource under the stack.

Network, cluster, database, cache, streaming, add-ons (and whatever else the program composes);
a resource declared directly under the stack is `unparented`. Pure over the synthesized graph.
"""

from __future__ import annotations

import re

from policies.synth_graph import Graph, Resource

UNPARENTED = "unparented"


def component_of(graph: Graph, resource: Resource) -> str:
    """The name of the outermost component (below the stack) among the resource's ancestors."""
    owner = graph.outermost_component(resource)
    return component_name(owner.type) if owner is not None else UNPARENTED


def component_name(type_token: str) -> str:
    """`conveyor:platform:AddOns` → `add-ons`; `conveyor:index:Network` → `network`."""
    last = type_token.rsplit(":", 1)[-1]
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", last)
    name = "-".join(w.lower() for w in words) or last.lower()
    return {"addons": "add-ons", "add-on": "add-ons"}.get(name, name)
