"""The stack configuration: every difference between dev, staging and prod, validated up front.

`environments/Pulumi.<env>.yaml` holds structured values under `conveyor:<section>` keys. They are
parsed here into frozen pydantic models *before* the program declares any resource, so a missing
key, an unknown instance class, overlapping CIDRs or more subnets than availability zones stop
the run with one `ConfigError` that names the key as written in the YAML
(e.g. `conveyor:database.instanceClass`). The program itself never branches on the stack name.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from conveyor_platform.instance_types import (
    CACHE_NODE_TYPES,
    EC2_INSTANCE_TYPES,
    MSK_BROKER_TYPES,
    RDS_INSTANCE_CLASSES,
)
from conveyor_platform.paths import ENVIRONMENTS_DIR

PROJECT = "conveyor"
REQUIRED_ADDONS = ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent")
CLOUDWATCH_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545})


class ConfigError(ValueError):
    """A stack config value is missing or invalid; `key` is its path as written in the YAML."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key


def _known(kind: str, known: frozenset[str]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in known:
            raise ValueError(f"unknown {kind} {value!r}")
        return value

    return AfterValidator(check)


Ec2Type = Annotated[str, _known("EC2 instance type", EC2_INSTANCE_TYPES)]
RdsClass = Annotated[str, _known("RDS instance class", RDS_INSTANCE_CLASSES)]
CacheNodeType = Annotated[str, _known("ElastiCache node type", CACHE_NODE_TYPES)]
MskBrokerType = Annotated[str, _known("MSK broker instance type", MSK_BROKER_TYPES)]


def _retention(days: int) -> int:
    if days not in CLOUDWATCH_RETENTION_DAYS:
        raise ValueError(
            f"{days} is not a CloudWatch Logs retention ({sorted(CLOUDWATCH_RETENTION_DAYS)})"
        )
    return days


LogRetentionDays = Annotated[int, AfterValidator(_retention)]


class _Section(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class Tags(_Section):
    owner: str = Field(min_length=1)
    cost_center: str = Field(min_length=1)


class SubnetPlan(_Section):
    """One CIDR per availability zone and tier, in the order of `availabilityZones`."""

    public: list[ipaddress.IPv4Network] = Field(min_length=1)
    private: list[ipaddress.IPv4Network] = Field(min_length=1)
    isolated: list[ipaddress.IPv4Network] = Field(min_length=1)


class Network(_Section):
    cidr: ipaddress.IPv4Network
    availability_zones: list[str] = Field(min_length=2, max_length=3)
    subnets: SubnetPlan
    nat_gateways: Literal["single", "per-az"]
    flow_log_retention_days: LogRetentionDays
    interface_endpoints: list[str]


class NodeGroup(_Section):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")
    instance_types: list[Ec2Type] = Field(min_length=1)
    capacity_type: Literal["ON_DEMAND", "SPOT"]
    min_size: int = Field(ge=0)
    desired_size: int = Field(ge=0)
    max_size: int = Field(ge=1)
    disk_size_gib: int = Field(ge=20, le=1000)


class Cluster(_Section):
    kubernetes_version: str = Field(pattern=r"^1\.\d+$")
    endpoint_public_access: bool
    public_access_cidrs: list[ipaddress.IPv4Network] = Field(default_factory=list)
    log_types: list[Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]]
    log_retention_days: LogRetentionDays
    node_groups: list[NodeGroup] = Field(min_length=1)
    addons: dict[str, str]
    admin_role_arns: list[Annotated[str, Field(pattern=r"^arn:aws:iam::\d{12}:role/.+$")]]


class Database(_Section):
    # Major only ("16"): RDS applies minor upgrades itself (auto_minor_version_upgrade), and a
    # pinned minor would make the next `pulumi up` try to set it back, i.e. downgrade.
    engine_version: str = Field(pattern=r"^\d+(\.\d+)*$")
    parameter_group_family: str = Field(pattern=r"^postgres\d+$")
    instance_class: RdsClass
    allocated_storage_gib: int = Field(ge=20, le=65536)
    max_allocated_storage_gib: int = Field(ge=20, le=65536)
    multi_az: bool
    backup_retention_days: int = Field(ge=1, le=35)
    deletion_protection: bool
    skip_final_snapshot: bool
    performance_insights_retention_days: int
    per_service_instances: bool


class Cache(_Section):
    engine_version: str = Field(pattern=r"^\d+\.\d+$")
    node_type: CacheNodeType
    num_cache_clusters: int = Field(ge=1, le=6)
    automatic_failover: bool
    multi_az: bool
    snapshot_retention_days: int = Field(ge=0, le=35)


class Streaming(_Section):
    kafka_version: str = Field(pattern=r"^\d+\.\d+\.(\d+|x)$")
    broker_count: int = Field(ge=2)
    instance_type: MskBrokerType
    volume_size_gib: int = Field(ge=1, le=16384)
    min_insync_replicas: int = Field(ge=1)
    default_replication_factor: int = Field(ge=1)
    log_retention_days: LogRetentionDays


class Chart(_Section):
    repository: str = Field(pattern=r"^https://")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")


class Addons(_Section):
    kube_prometheus_stack: Chart
    opentelemetry_collector: Chart
    aws_load_balancer_controller: Chart
    external_secrets: Chart
    grafana_host: str = Field(min_length=1)
    operator_namespace: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    pipeline_namespace: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    pipeline_name: str = Field(pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$", max_length=40)
    image_registry: str = Field(pattern=r"^[a-z0-9.-]+(/[a-z0-9._-]+)*$")
    image_tag: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    workload_replicas: int = Field(ge=1)


class StackConfig(_Section):
    """The validated `conveyor:*` keys of one stack, plus the AWS region and the stack name."""

    stack: str
    region: str = Field(pattern=r"^[a-z]{2}-[a-z]+-\d$")
    tags: Tags
    network: Network
    cluster: Cluster
    database: Database
    cache: Cache
    streaming: Streaming
    addons: Addons


SECTIONS = tuple(name for name in StackConfig.model_fields if name not in ("stack", "region"))


def _key_of(loc: tuple[int | str, ...]) -> str:
    head, *rest = loc
    key = "aws:region" if head == "region" else f"{PROJECT}:{head}"
    for part in rest:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def parse(stack: str, values: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config (keys as in the YAML: `aws:region`, `conveyor:network`, ...)."""
    known = {f"{PROJECT}:{name}" for name in SECTIONS} | {"aws:region"}
    for key in sorted(values):
        if key.startswith(f"{PROJECT}:") and key not in known:
            raise ConfigError(key, f"unknown key (known: {', '.join(sorted(known))})")
    raw: dict[str, Any] = {"stack": stack, "region": values.get("aws:region")}
    raw |= {name: values.get(f"{PROJECT}:{name}") for name in SECTIONS}
    for name, value in raw.items():
        if value is None:
            raise ConfigError(_key_of((name,)), "required key is missing")
    try:
        config = StackConfig.model_validate(raw, by_alias=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(_key_of(tuple(first["loc"])), first["msg"]) from None
    _check_network(config.network)
    _check_cluster(config.cluster)
    _check_database(config.database, config.network)
    _check_cache(config.cache, config.network)
    _check_streaming(config.streaming, config.network)
    return config


def _check_network(network: Network) -> None:
    zones = len(network.availability_zones)
    if len(set(network.availability_zones)) != zones:
        raise ConfigError("conveyor:network.availabilityZones", "zones are listed twice")
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for tier in ("public", "private", "isolated"):
        cidrs: list[ipaddress.IPv4Network] = getattr(network.subnets, tier)
        key = f"conveyor:network.subnets.{tier}"
        if len(cidrs) > zones:
            raise ConfigError(key, f"{len(cidrs)} subnets but only {zones} availabilityZones")
        if len(cidrs) < zones:
            raise ConfigError(key, f"{len(cidrs)} subnets for {zones} availabilityZones")
        for index, cidr in enumerate(cidrs):
            here = f"{key}[{index}]"
            if not cidr.subnet_of(network.cidr):
                raise ConfigError(here, f"{cidr} is outside the VPC {network.cidr}")
            for other_key, other in seen:
                if cidr.overlaps(other):
                    raise ConfigError(here, f"{cidr} overlaps {other_key} ({other})")
            seen.append((here, cidr))


def _check_cluster(cluster: Cluster) -> None:
    missing = [name for name in REQUIRED_ADDONS if name not in cluster.addons]
    if missing:
        raise ConfigError("conveyor:cluster.addons", f"missing pinned versions for {missing}")
    # kube-proxy is built per Kubernetes minor (v1.34.x-eksbuild.N for 1.34): a bump of
    # kubernetesVersion without it would run a proxy of the old minor on the new nodes.
    if not cluster.addons["kube-proxy"].startswith(f"v{cluster.kubernetes_version}."):
        raise ConfigError(
            "conveyor:cluster.addons.kube-proxy",
            f"must be a v{cluster.kubernetes_version}.x build (kubernetesVersion)",
        )
    if cluster.endpoint_public_access:
        if not cluster.public_access_cidrs:
            raise ConfigError(
                "conveyor:cluster.publicAccessCidrs",
                "a public endpoint needs explicit CIDRs (the AWS default is 0.0.0.0/0)",
            )
        for index, cidr in enumerate(cluster.public_access_cidrs):
            if cidr.prefixlen == 0:
                raise ConfigError(f"conveyor:cluster.publicAccessCidrs[{index}]", "is the internet")
    elif cluster.public_access_cidrs:
        raise ConfigError("conveyor:cluster.publicAccessCidrs", "set, but the endpoint is private")
    for index, group in enumerate(cluster.node_groups):
        if not group.min_size <= group.desired_size <= group.max_size:
            raise ConfigError(
                f"conveyor:cluster.nodeGroups[{index}].desiredSize",
                "needs minSize <= desiredSize <= maxSize",
            )


def _check_database(database: Database, network: Network) -> None:
    if database.max_allocated_storage_gib < database.allocated_storage_gib:
        raise ConfigError(
            "conveyor:database.maxAllocatedStorageGib", "is below allocatedStorageGib"
        )
    if database.performance_insights_retention_days not in (7, *range(31, 732, 31)):
        raise ConfigError(
            "conveyor:database.performanceInsightsRetentionDays", "must be 7 or a multiple of 31"
        )
    if "." in database.engine_version:
        raise ConfigError(
            "conveyor:database.engineVersion",
            "give the major version only (e.g. 16): RDS upgrades minors itself and a pinned"
            " minor would make `pulumi up` try to downgrade",
        )
    if not database.parameter_group_family.endswith(database.engine_version.split(".")[0]):
        raise ConfigError("conveyor:database.parameterGroupFamily", "does not match engineVersion")
    del network


def _check_cache(cache: Cache, network: Network) -> None:
    if cache.automatic_failover and cache.num_cache_clusters < 2:  # noqa: PLR2004
        raise ConfigError("conveyor:cache.numCacheClusters", "automatic failover needs >= 2")
    if cache.multi_az and not cache.automatic_failover:
        raise ConfigError("conveyor:cache.automaticFailover", "Multi-AZ needs automatic failover")
    if cache.num_cache_clusters > 1 and len(network.availability_zones) < 2:  # noqa: PLR2004
        raise ConfigError("conveyor:network.availabilityZones", "replicas need two zones")


def _check_streaming(streaming: Streaming, network: Network) -> None:
    zones = len(network.availability_zones)
    if streaming.broker_count % zones:
        raise ConfigError(
            "conveyor:streaming.brokerCount",
            f"{streaming.broker_count} brokers do not spread evenly over {zones} zones",
        )
    if streaming.default_replication_factor > streaming.broker_count:
        raise ConfigError("conveyor:streaming.defaultReplicationFactor", "exceeds brokerCount")
    if streaming.min_insync_replicas >= streaming.default_replication_factor and (
        streaming.default_replication_factor > 1
    ):
        raise ConfigError(
            "conveyor:streaming.minInsyncReplicas",
            "must be below defaultReplicationFactor, or one broker down stops every producer",
        )


def read_stack_file(stack: str, directory: Path = ENVIRONMENTS_DIR) -> dict[str, Any]:
    """The `config:` mapping of `Pulumi.<stack>.yaml`, as Pulumi itself would read it."""
    path = directory / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise ConfigError(str(path), "no such stack file")
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    values = document.get("config")
    if not isinstance(values, dict):
        raise ConfigError(f"{path.name}: config", "missing or not a mapping")
    return values


def load(stack: str, directory: Path = ENVIRONMENTS_DIR) -> StackConfig:
    return parse(stack, read_stack_file(stack, directory))


def as_pulumi_config(values: Mapping[str, Any]) -> dict[str, str]:
    """The flat string map the Pulumi runtime holds: structured values JSON-encoded."""
    return {
        key: value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        for key, value in values.items()
    }


def from_pulumi_runtime(stack: str) -> StackConfig:
    """Read and validate the config the Pulumi engine (or the mocks) handed the program."""
    from pulumi.runtime import config as runtime_config  # noqa: PLC0415 - engine import only here

    flat = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {}
    for key, value in flat.items():
        structured = key.startswith(f"{PROJECT}:") and isinstance(value, str)
        try:
            values[key] = json.loads(value) if structured else value
        except json.JSONDecodeError:
            raise ConfigError(key, "is not a structured value") from None
    return parse(stack, values)
