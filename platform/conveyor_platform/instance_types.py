"""The instance classes a stack config may name, per service.

A typo in an instance class would otherwise surface only minutes into `pulumi up`, as an AWS API
error after the network and cluster exist. Validating against this list fails the run before any
resource is declared. The lists are families x sizes that AWS offers in us-east-1; add a family
here (one line) when a stack needs it.
"""

from __future__ import annotations


def _classes(prefix: str, families: tuple[str, ...], sizes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f"{prefix}{family}.{size}" for family in families for size in sizes)


_LARGE_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_BURST_SIZES = ("micro", "small", "medium", "large", "xlarge", "2xlarge")

EC2_INSTANCE_TYPES: frozenset[str] = _classes("", ("t3", "t3a", "t4g"), _BURST_SIZES) | _classes(
    "", ("m6i", "m7i", "m6g", "m7g", "c6i", "c7i", "c7g", "r6i", "r7i", "r7g"), _LARGE_SIZES
)

RDS_INSTANCE_CLASSES: frozenset[str] = _classes(
    "db.", ("t4g", "t3"), ("micro", "small", "medium", "large", "xlarge", "2xlarge")
) | _classes("db.", ("m6g", "m7g", "m6i", "r6g", "r7g", "r6i"), _LARGE_SIZES)

CACHE_NODE_TYPES: frozenset[str] = _classes(
    "cache.", ("t4g", "t3"), ("micro", "small", "medium")
) | _classes("cache.", ("m6g", "m7g", "r6g", "r7g"), _LARGE_SIZES)

MSK_BROKER_TYPES: frozenset[str] = frozenset({"kafka.t3.small"}) | _classes(
    "kafka.", ("m5", "m7g"), ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge")
)
