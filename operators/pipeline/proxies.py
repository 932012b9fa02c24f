"""Whose `X-Forwarded-For` identity believes in a cluster: the pods' network, never everyone. Pure.

Identity limits logins per client address, and behind the gateway the TCP peer is a gateway pod;
it reads the client from `X-Forwarded-For` only when the peer is in its `TRUSTED_PROXIES`
(workloads/shared/forwarded.py, ADR 0041). A gateway pod's address changes with every restart
and comes from the cluster's pod network, which no portable API tells the operator; so the
pipeline says it: `spec.network.podCIDRs`, rendered into identity's ConfigMap as
`TRUSTED_PROXIES` (ADR 0047). Identity's NetworkPolicy admits only the gateway's pods and the
monitoring namespace to its port, so within that network only they can speak to it at all.

Never everything: each CIDR must lie in a private or shared IPv4 range (RFC 1918, 100.64.0.0/10)
or be an IPv6 prefix of /48 or longer; the CRD states the same rule in CEL. Without the field
nothing is rendered: identity ignores the header and counts every login as the gateway's
(coarse, never spoofable). An explicit `env.TRUSTED_PROXIES` of identity (as the local pipeline
sets for its loopback gateway) wins over the rendered value, like every env entry, and is held to
the same rule (plus loopback, 127.0.0.0/8 and ::1): each entry a CIDR with its prefix written,
so the model and the CRD's CEL refuse `0.0.0.0/0` there too (`trusted_proxies_env`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

TRUSTED_PROXIES_ENV = "TRUSTED_PROXIES"
GATEWAY = "gateway"
BEHIND_GATEWAY = ("identity",)  # workloads that count requests per client address
PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
MIN_V6_PREFIX = 48
CIDR_REFUSED = (
    "must be a CIDR in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10, or an IPv6 "
    f"prefix of /{MIN_V6_PREFIX} or longer: the pods' network, never everyone"
)


MAX_TRUSTED_ENTRIES = 8  # bounds the CEL rule's cost (the API server refuses it unbounded)
TRUSTED_ENV_REFUSED = (
    f"env.{TRUSTED_PROXIES_ENV} entries must be CIDRs (address/prefix, at most "
    f"{MAX_TRUSTED_ENTRIES}) in 10.0.0.0/8, "
    "172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 or 127.0.0.0/8, or IPv6 prefixes of "
    f"/{MIN_V6_PREFIX} or longer: a proxy's network, never everyone"
)


def _within(network: ipaddress.IPv4Network | ipaddress.IPv6Network, *, loopback: bool) -> bool:
    if isinstance(network, ipaddress.IPv4Network):
        allowed = (*PRIVATE_V4, LOOPBACK_V4) if loopback else PRIVATE_V4
        return any(network.subnet_of(private) for private in allowed)
    return network.prefixlen >= MIN_V6_PREFIX


def pod_cidr(value: str) -> str:
    """The CIDR as written, or ValueError when it is not one or reaches beyond a pod network."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} {CIDR_REFUSED}") from exc
    if not _within(network, loopback=False):
        raise ValueError(f"{value!r} {CIDR_REFUSED}")
    return value


def trusted_proxies_env(value: str) -> None:
    """ValueError unless each comma-separated entry is a CIDR inside a pod network or loopback.

    The rule of the CRD's CEL on `env`: a prefix must be written (`127.0.0.1/32`, not
    `127.0.0.1`), host bits may be set (the workloads read entries non-strictly), blanks between
    commas are ignored, at most `MAX_TRUSTED_ENTRIES` entries (blanks counted).
    """
    entries = value.split(",")
    if len(entries) > MAX_TRUSTED_ENTRIES:
        raise ValueError(f"{len(entries)} entries: {TRUSTED_ENV_REFUSED}")
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ValueError(f"{entry!r}: {TRUSTED_ENV_REFUSED}") from exc
        if "/" not in entry or not _within(network, loopback=True):
            raise ValueError(f"{entry!r}: {TRUSTED_ENV_REFUSED}")


PodCidr = Annotated[str, Field(max_length=43), AfterValidator(pod_cidr)]


class NetworkSpec(BaseModel):
    """`spec.network`: facts of the cluster's network the operator cannot look up."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True, strict=True)

    pod_cidrs: list[PodCidr] = Field(default_factory=list, max_length=8, alias="podCIDRs")


def trusted_proxies(
    workload: str, present: Sequence[str], sources: Sequence[str]
) -> dict[str, str]:
    """`TRUSTED_PROXIES` for a workload the gateway calls and that counts per client, else {}."""
    if workload in BEHIND_GATEWAY and GATEWAY in present and sources:
        return {TRUSTED_PROXIES_ENV: ",".join(sources)}
    return {}
