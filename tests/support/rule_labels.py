"""Which labels a rule's PromQL groups by that its series will not carry, read from the syntax tree.

A series carries its metric's own labels (the workloads' prometheus_client declarations) and the
target labels its scrape sets (job, instance, and what a target file or a relabeling adds); a
recorded series carries what its expression keeps plus the rule's own labels. `max by (workload)`
over series without `workload` does not fail: it yields one series with no such label, and an
alert that names `{{ $labels.workload }}` says nothing. `missing_group_labels` lists, for every
`by (...)` in a rule file, the labels its operand cannot carry. A metric the rules read that is
neither declared nor recorded is reported too, so an unknown name never passes silently.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import promql_parser as promql
from prometheus_client import REGISTRY

# The modules that declare the workloads' metrics (each registers with the default registry).
METRIC_MODULES = (
    "workloads.shared.metrics",
    "workloads.shared.ratelimit",
    "workloads.gateway.metrics",
    "workloads.identity.handlers",
    "workloads.inventory.metrics",
    "workloads.order.metrics",
    "workloads.payment.metrics",
    "workloads.payment.jobs",
)
_SUFFIXES = {"_bucket": ("le",), "_count": (), "_sum": (), "_total": (), "_created": ()}


def declared_metrics() -> dict[str, frozenset[str]]:
    """Every exposed series name of the workloads' metrics -> its label names."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    found: dict[str, frozenset[str]] = {}
    # prometheus_client keeps names and label names private; read-only use.
    for name, collector in REGISTRY._names_to_collectors.items():
        labels = frozenset(getattr(collector, "_labelnames", ()))
        suffix = next((s for s in _SUFFIXES if name.endswith(s)), None)
        found[name] = labels | frozenset(_SUFFIXES[suffix]) if suffix else labels
    return found


class _Labels:
    """The label names an expression's result carries, given what scraped series carry."""

    def __init__(
        self, metrics: Mapping[str, frozenset[str]], targets: frozenset[str], where: str
    ) -> None:
        self.metrics, self.targets, self.where = dict(metrics), targets, where
        self.problems: list[str] = []

    def of(self, node: Any) -> frozenset[str]:
        if isinstance(node, promql.VectorSelector):
            return self._selector(node)
        if isinstance(node, promql.AggregateExpr):
            return self._aggregate(node)
        if isinstance(node, promql.BinaryExpr):
            sides = [(self.of(n), n) for n in (node.lhs, node.rhs)]
            vectors = [labels for labels, n in sides if _vector(n)]
            return vectors[0] if vectors else frozenset()
        if isinstance(node, promql.Call):
            args = [self.of(a) for a in node.args if isinstance(a, promql.Expr)]
            return args[0] if args else frozenset()
        inner: promql.Expr | None = None
        if isinstance(node, promql.MatrixSelector):
            inner = node.vector_selector
        if isinstance(node, promql.ParenExpr | promql.UnaryExpr | promql.SubqueryExpr):
            inner = node.expr
        return frozenset() if inner is None else self.of(inner)  # else: a literal

    def _selector(self, node: promql.VectorSelector) -> frozenset[str]:
        if node.name not in self.metrics:
            self.problems.append(f"{self.where}: {node.name} is neither declared nor recorded")
            return self.targets
        return self.metrics[node.name] | self.targets

    def _aggregate(self, node: promql.AggregateExpr) -> frozenset[str]:
        inner = self.of(node.expr)
        if node.modifier is None:
            return frozenset()
        wanted = frozenset(node.modifier.labels)
        if node.modifier.type != promql.AggModifierType.By:
            return inner - wanted
        for label in sorted(wanted - inner):
            self.problems.append(f"{self.where}: groups by `{label}`, which {node.expr} lacks")
        return wanted


def _vector(node: Any) -> bool:
    return not isinstance(node, promql.NumberLiteral | promql.StringLiteral)


def _rules(groups: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for group in groups:
        yield from group["rules"]


def missing_group_labels(
    groups: Iterable[Mapping[str, Any]],
    *,
    targets: Iterable[str],
    metrics: Mapping[str, frozenset[str]],
    where: str,
) -> list[str]:
    """Each `by (...)` label of the rule groups that its operand cannot carry, with the rule."""
    problems: list[str] = []
    known = dict(metrics)
    for rule in _rules(groups):
        name = rule.get("alert") or rule["record"]
        labels = _Labels(known, frozenset(targets), f"{where}: {name}")
        result = labels.of(promql.parse(rule["expr"]))
        problems += labels.problems
        if "record" in rule:  # what later rules read under this name (a union over groups)
            carried = result | frozenset(rule.get("labels", {}))
            known[rule["record"]] = known.get(rule["record"], frozenset()) | carried
    return problems
