"""`price(graph, prices, assumptions) -> CostReport`: the monthly bill of one synthesized stack.

Pure: no files, no clock. Every custom resource is either priced by a pricer (pricers.py) or
listed as free, with its reason, in the price table; anything else raises `PricingError` naming
the type and the resource, so a resource new to the graph can never be silently $0. Component
resources (custom = false) are groupings, not cloud resources, and are skipped.
"""

from __future__ import annotations

from policies.cost.components import component_of
from policies.cost.lines import CostReport, FreeResource, LineItem
from policies.cost.pricers import PRICERS, Context, price_resource
from policies.cost.tables import EnvAssumptions, PriceTable, PricingError
from policies.synth_graph import Graph


def price(graph: Graph, prices: PriceTable, assumptions: EnvAssumptions) -> CostReport:
    """Line items for every priced resource, in graph order, and the free ones with reasons."""
    context = Context(graph=graph, prices=prices, assumptions=assumptions)
    lines: list[LineItem] = []
    free: list[FreeResource] = []
    unknown: list[str] = []
    for resource in graph.resources:
        if not resource.custom:
            continue
        if resource.type in PRICERS:
            lines += price_resource(resource, context)
            continue
        reason = prices.free_reason(resource.type)
        if reason is None:
            unknown.append(f"{resource.type} ({resource.name})")
        else:
            component = component_of(graph, resource)
            free.append(FreeResource(component, resource.name, resource.type, reason))
    if unknown:
        raise PricingError(
            "no price and not listed as free in prices.yaml: " + ", ".join(sorted(unknown))
        )
    return CostReport(
        stack=graph.stack,
        prices_as_of=prices.as_of.isoformat(),
        orders_per_day=assumptions.usage.orders_per_day,
        lines=tuple(lines),
        free=tuple(free),
    )


def unpriced_types(graph: Graph, prices: PriceTable) -> list[str]:
    """Custom resource types that are neither priced nor free (what `price` would refuse)."""
    return sorted(
        {
            r.type
            for r in graph.resources
            if r.custom and r.type not in PRICERS and prices.free_reason(r.type) is None
        }
    )
