"""The values a synthesized stack hands to one Helm release, read from its graph."""

from __future__ import annotations

from typing import Any

from policies.synth_graph import Graph


def values(graph: Graph, chart: str) -> dict[str, Any]:
    """The `values` of the release of `chart`; StopIteration when the stack installs none."""
    release = next(
        r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == chart
    )
    found: dict[str, Any] = release.inputs["values"]
    return found
