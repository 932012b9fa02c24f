"""One NetworkPolicy per workload: deny everything, then allow only what the architecture needs.

Ingress: HTTP from the gateway (the only synchronous caller, workloads/README.md), from anywhere
when the workload is `exposed` (the edge), and Prometheus scrapes from the monitoring namespace.
Egress: DNS to kube-dns, the gateway to the workloads it calls, and the ports of Kafka,
PostgreSQL and Redis for the workloads that use them. Those three are usually managed services
outside the cluster (MSK, RDS, ElastiCache) with addresses the spec does not know, so their rules
restrict the port, not the peer; the security groups of platform/ restrict the peer. The card
provider is a third party on the internet: the payment workload is told its address in
`env.PAYMENT_PROVIDER_URL` (rendered into its ConfigMap like any env entry), and egress opens that
URL's port (443 for https without one); without the entry there is no rule, and payment cannot
reach a provider.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from operators.pipeline import topology
from operators.pipeline.objects import Owner, child_name, selector
from operators.pipeline.spec import OrderPipelineSpec

NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set by the API server on every namespace
PAYMENT_PROVIDER_ENV = "PAYMENT_PROVIDER_URL"  # the card provider the payment workload calls
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"port": port, "protocol": "TCP"} for port in sorted(set(ports))]


def _ingress(owner: Owner, spec: OrderPipelineSpec, workload: str) -> list[dict[str, Any]]:
    port = spec.workloads[workload].port
    rules: list[dict[str, Any]] = []
    if spec.workloads[workload].exposed:
        rules.append({"ports": _tcp(port)})
    callers = topology.callers(workload, frozenset(spec.workloads))
    if callers:
        rules.append(
            {
                "from": [{"podSelector": {"matchLabels": selector(owner, c)}} for c in callers],
                "ports": _tcp(port),
            }
        )
    monitoring = {"matchLabels": {NAMESPACE_NAME: spec.monitoring.namespace}}
    rules.append({"from": [{"namespaceSelector": monitoring}], "ports": _tcp(port)})
    return rules


def provider_port(url: str) -> int | None:
    """The TCP port of a provider URL (its scheme's default if none); None if not HTTP."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        return parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:  # a port outside 0..65535, or not a number
        return None


def _egress(owner: Owner, spec: OrderPipelineSpec, workload: str) -> list[dict[str, Any]]:
    dns = {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME: "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }
    rules: list[dict[str, Any]] = [dns]
    for callee in topology.callees(workload, frozenset(spec.workloads)):
        rules.append(
            {
                "to": [{"podSelector": {"matchLabels": selector(owner, callee)}}],
                "ports": _tcp(spec.workloads[callee].port),
            }
        )
    ports: list[int] = []
    if topology.uses_postgres(workload) and spec.postgres is not None:
        ports.append(spec.postgres.port)
    if topology.uses_kafka(workload) and spec.kafka is not None:
        ports.extend(spec.kafka.ports())
    if topology.uses_redis(workload) and spec.redis is not None:
        ports.append(spec.redis.port)
    provider = (
        spec.workloads[workload].env.get(PAYMENT_PROVIDER_ENV) if workload == "payment" else None
    )
    if provider is not None and (port := provider_port(provider)) is not None:
        ports.append(port)
    if ports:
        rules.append({"ports": _tcp(*ports)})
    return rules


def network_policy(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": child_name(owner, workload)},
        "spec": {
            "podSelector": {"matchLabels": selector(owner, workload)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": _ingress(owner, spec, workload),
            "egress": _egress(owner, spec, workload),
        },
    }
