"""CKV_CONVEYOR_3: no security group admits the whole internet, except the public load balancer's.

Inline `ingress` blocks of `aws_security_group`; standalone rules are covered by the graph check
CKV2_CONVEYOR_3 (they need the tags of the group they attach to). The exception is a group
tagged `conveyor:role = public-load-balancer`, and even it only on 80 and 443.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

OPEN = {"0.0.0.0/0", "::/0"}
WEB_PORTS = {80, 443}
PUBLIC_ROLE = "public-load-balancer"
MANY = 1024  # a range this wide counts as 'everything'


def _open_ports(rule: dict[str, Any]) -> set[int] | None:
    """The ports a rule opens to the internet; None when it is not open to the internet."""
    cidrs = [*(rule.get("cidr_blocks") or [[]])[0], *(rule.get("ipv6_cidr_blocks") or [[]])[0]]
    if not OPEN.intersection(cidrs):
        return None
    low, high = (rule.get("from_port") or [0])[0], (rule.get("to_port") or [65535])[0]
    return set(range(int(low), int(high) + 1)) if int(high) - int(low) < MANY else {-1}


class NoOpenIngress(BaseResourceCheck):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            name="Conveyor: no 0.0.0.0/0 ingress except the public load balancer on 80/443",
            id="CKV_CONVEYOR_3",
            categories=[CheckCategories.NETWORKING],
            supported_resources=("aws_security_group",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        tags = (conf.get("tags") or [{}])[0]
        public = isinstance(tags, dict) and tags.get("conveyor:role") == PUBLIC_ROLE
        for rule in conf.get("ingress") or []:
            if not isinstance(rule, dict):
                continue
            ports = _open_ports(rule)
            if ports is not None and not (public and ports <= WEB_PORTS):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = NoOpenIngress()
