"""Identity, in a cluster, believes the forwarded client address from the pods' network only.

`spec.network.podCIDRs` becomes identity's `TRUSTED_PROXIES` (its ConfigMap, read by its pods
through envFrom); nothing else is told, nothing is trusted without it, and identity's
NetworkPolicy lets only the gateway (and Prometheus) reach it, so trusting the pod network is
trusting the gateway (ADR 0047). The refusals of too-wide CIDRs are in cases.py.
"""

from __future__ import annotations

from typing import Any

from operators.pipeline.proxies import TRUSTED_PROXIES_ENV, trusted_proxies
from operators.pipeline.render import render_children
from operators.pipeline.spec import OrderPipeline
from tests.unit.operators.pipeline.crd_schema import example
from tests.unit.operators.pipeline.rendering import by_kind, owner_of, pipeline, spec_with

IDENTITY = "conveyor-identity"


def _rendered(spec_changes: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    resource = pipeline("prod")
    spec = spec_with("prod", **spec_changes) if spec_changes else resource.spec
    return render_children(owner_of(resource), spec, prometheus_operator=False)


def test_identity_trusts_the_pod_network_and_nobody_else_is_told() -> None:
    objects = _rendered()
    configs = by_kind(objects, "ConfigMap")
    assert configs[IDENTITY]["data"][TRUSTED_PROXIES_ENV] == "10.0.0.0/16"
    told = sorted(n for n, c in configs.items() if TRUSTED_PROXIES_ENV in c.get("data", {}))
    assert told == [IDENTITY]  # not the gateway: what stands in front of it is its own env
    container = by_kind(objects, "Deployment")[IDENTITY]["spec"]["template"]["spec"]
    assert {"configMapRef": {"name": IDENTITY}} in container["containers"][0]["envFrom"]


def test_several_pod_networks_are_all_trusted() -> None:
    objects = _rendered({"network": {"podCIDRs": ["10.0.0.0/16", "fd12:3456:789a::/56"]}})
    data = by_kind(objects, "ConfigMap")[IDENTITY]["data"]
    assert data[TRUSTED_PROXIES_ENV] == "10.0.0.0/16,fd12:3456:789a::/56"


def test_without_a_pod_network_identity_trusts_no_one() -> None:
    data = by_kind(_rendered({"network": {}}), "ConfigMap")[IDENTITY]["data"]
    assert TRUSTED_PROXIES_ENV not in data


def test_an_explicit_env_entry_wins_over_the_pod_network() -> None:
    raw = example("prod")
    raw["spec"]["workloads"]["identity"]["env"] = {TRUSTED_PROXIES_ENV: "10.0.7.0/24"}
    resource = OrderPipeline.model_validate(raw)
    objects = render_children(owner_of(resource), resource.spec, prometheus_operator=False)
    assert by_kind(objects, "ConfigMap")[IDENTITY]["data"][TRUSTED_PROXIES_ENV] == "10.0.7.0/24"


def test_only_the_gateway_and_prometheus_reach_identity() -> None:
    policy = by_kind(_rendered(), "NetworkPolicy")[IDENTITY]["spec"]
    sources = [peer for rule in policy["ingress"] for peer in rule.get("from", [None])]
    assert None not in sources  # no rule open to every address
    pods = [p["podSelector"]["matchLabels"] for p in sources if "podSelector" in p]
    assert [labels["app.kubernetes.io/name"] for labels in pods] == ["gateway"]
    namespaces = [
        p["namespaceSelector"]["matchLabels"] for p in sources if "namespaceSelector" in p
    ]
    assert namespaces == [{"kubernetes.io/metadata.name": "monitoring"}]


def test_no_gateway_no_trust() -> None:
    assert trusted_proxies("identity", ["identity", "order"], ["10.0.0.0/16"]) == {}
    assert trusted_proxies("catalog", ["gateway", "catalog"], ["10.0.0.0/16"]) == {}
    assert trusted_proxies("identity", ["gateway", "identity"], []) == {}
