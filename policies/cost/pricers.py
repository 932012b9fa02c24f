"""How each priced resource type turns into line items (one function per type).

Each pricer reads the resource's Pulumi inputs (wire names, camelCase) and the env's usage
assumptions, and returns its monthly line items. Usage that is not per resource (NAT GB, log GB,
KMS requests) is shared evenly among the resources of that kind that the graph holds, so the
figure in assumptions.yaml is counted exactly once. A missing price raises `PricingError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from policies.cost.components import component_of
from policies.cost.lines import LineItem
from policies.cost.tables import EnvAssumptions, PriceTable, PricingError
from policies.synth_graph import Graph, Resource

EKS_DEFAULT_INSTANCE = "t3.medium"  # the EKS API's default when a node group names none
EKS_DEFAULT_DISK_GB = 20
NEVER_EXPIRE_DAYS = 365  # a log group without retention: price one year of accumulation
PI_FREE_DAYS = 7  # Performance Insights retention included in the instance price
PI_DAYS_PER_MONTH = 30.5  # PI counts 31 days as one month and 731 days as 24


@dataclass(frozen=True)
class Context:
    graph: Graph
    prices: PriceTable
    assumptions: EnvAssumptions

    @property
    def hours(self) -> float:
        return self.assumptions.hours_per_month

    def share(self, resource: Resource, *, same_component: bool = False) -> int:
        """How many resources of this type (in this component) split a usage figure."""
        peers = self.graph.of_type(resource.type)
        if same_component:
            mine = component_of(self.graph, resource)
            peers = [p for p in peers if component_of(self.graph, p) == mine]
        return max(1, len(peers))


Charge = tuple[str, float, str, str, str]
"""(item, monthly quantity, unit, price-table section, rate or instance class)."""
Pricer = Callable[[Resource, Context], list[Charge]]


def _get(inputs: Mapping[str, Any], *path: str) -> Any:
    value: Any = inputs
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _eks_cluster(r: Resource, c: Context) -> list[Charge]:
    return [("EKS control plane", c.hours, "hour", "eks", "cluster_hour")]


def _node_group(r: Resource, c: Context) -> list[Charge]:
    if (r.inputs.get("capacityType") or "ON_DEMAND") != "ON_DEMAND":
        raise PricingError(f"{r.name}: capacityType {r.inputs['capacityType']!r} has no price")
    types = r.inputs.get("instanceTypes") or []
    template = _launch_template(r, c)
    instance = types[0] if types else (template or {}).get("instanceType") or EKS_DEFAULT_INSTANCE
    nodes = float(_get(r.inputs, "scalingConfig", "desiredSize") or 0)
    disk_gb, volume = float(r.inputs.get("diskSize") or EKS_DEFAULT_DISK_GB), "gp3"
    for mapping in (template or {}).get("blockDeviceMappings") or []:
        disk_gb = float(_get(mapping, "ebs", "volumeSize") or disk_gb)
        volume = _get(mapping, "ebs", "volumeType") or volume
    return [
        (f"{int(nodes)} x {instance} node-hours", nodes * c.hours, "hour", "ec2", instance),
        (
            f"{int(nodes)} x {disk_gb:g} GB {volume} node volumes",
            nodes * disk_gb,
            "GB-month",
            "ebs",
            f"{volume}_gb_month",
        ),
    ]


def _launch_template(r: Resource, c: Context) -> Mapping[str, Any] | None:
    ref = _get(r.inputs, "launchTemplate", "id") or _get(r.inputs, "launchTemplate", "name")
    if not ref:
        return None
    found = c.graph.by_id(str(ref)) or next(
        (t for t in c.graph.of_type("aws:ec2/launchTemplate:LaunchTemplate") if t.name == ref),
        None,
    )
    return found.inputs if found is not None else None


def _rds_instance(r: Resource, c: Context) -> list[Charge]:
    cls = str(r.inputs.get("instanceClass"))
    multi_az = bool(r.inputs.get("multiAz"))
    copies = 2 if multi_az else 1  # Multi-AZ: a standby of the same class and storage
    label = " (Multi-AZ: primary + standby)" if multi_az else ""
    storage = r.inputs.get("storageType") or ("io1" if r.inputs.get("iops") else "gp2")
    gb = float(r.inputs.get("allocatedStorage") or 0)
    items = [
        (f"{copies} x {cls} instance-hours{label}", copies * c.hours, "hour", "rds", cls),
        (
            f"{copies} x {gb:g} GB {storage} storage{label}",
            copies * gb,
            "GB-month",
            "rds",
            f"{storage}_gb_month",
        ),
    ]
    items += _performance_insights(r, c, copies)
    if r.inputs.get("manageMasterUserPassword"):
        items.append(
            ("master password secret (RDS-managed)", 1, "month", "secrets_manager", "secret_month")
        )
    return items


def _performance_insights(r: Resource, c: Context, copies: int) -> list[Charge]:
    """Paid retention: per vCPU of every instance (standby too), first month + further months."""
    days = int(r.inputs.get("performanceInsightsRetentionPeriod") or PI_FREE_DAYS)
    if not r.inputs.get("performanceInsightsEnabled") or days <= PI_FREE_DAYS:
        return []
    cls = str(r.inputs.get("instanceClass"))
    vcpus = copies * c.prices.instance("rds", cls, resource=f"{r.type} {r.name}").vcpu
    months = max(1, round(days / PI_DAYS_PER_MONTH))
    items: list[Charge] = [
        (
            f"Performance Insights {days} days, {vcpus} vCPU",
            vcpus,
            "vCPU-month",
            "rds_performance_insights",
            "first_month_vcpu_month",
        )
    ]
    if months > 1:
        items.append(
            (
                f"Performance Insights months 2-{months}",
                vcpus * (months - 1),
                "vCPU-month",
                "rds_performance_insights",
                "extra_month_vcpu_month",
            )
        )
    return items


def _replication_group(r: Resource, c: Context) -> list[Charge]:
    engine = str(r.inputs.get("engine") or "redis")
    if engine != "redis":
        raise PricingError(f"{r.name}: ElastiCache engine {engine!r} has no price table")
    node_type = str(r.inputs.get("nodeType"))
    if r.inputs.get("numNodeGroups"):
        nodes = int(r.inputs["numNodeGroups"]) * (
            1 + int(r.inputs.get("replicasPerNodeGroup") or 0)
        )
    else:
        nodes = int(r.inputs.get("numCacheClusters") or 1)
    return [
        (f"{nodes} x {node_type} node-hours", nodes * c.hours, "hour", "elasticache", node_type)
    ]


def _msk_cluster(r: Resource, c: Context) -> list[Charge]:
    info = r.inputs.get("brokerNodeGroupInfo") or {}
    instance = str(info.get("instanceType"))
    brokers = int(r.inputs.get("numberOfBrokerNodes") or 0)
    ebs = _get(info, "storageInfo", "ebsStorageInfo") or {}
    gb = float(ebs.get("volumeSize") or 0)
    items = [
        (f"{brokers} x {instance} broker-hours", brokers * c.hours, "hour", "msk", instance),
        (
            f"{brokers} x {gb:g} GB broker storage",
            brokers * gb,
            "GB-month",
            "msk",
            "storage_gb_month",
        ),
    ]
    throughput = _get(ebs, "provisionedThroughput") or {}
    if throughput.get("enabled"):
        mbps = float(throughput.get("volumeThroughput") or 0)
        items.append(
            (
                f"{brokers} x {mbps:g} MB/s provisioned throughput",
                brokers * mbps,
                "MBps-month",
                "msk",
                "provisioned_throughput_mbps_month",
            )
        )
    azs = len(info.get("clientSubnets") or []) or brokers
    a = c.assumptions
    client_gb = (
        a.orders_per_month
        * a.events_per_order
        * a.event_bytes
        * (1 + a.usage.kafka_client_fanout)
        / 1e9
    )
    if azs > 1:
        cross = client_gb * (azs - 1) / azs
        items.append(("clients' cross-AZ traffic", cross, "GB", "data_transfer", "inter_az_gb"))
    return items


def _nat_gateway(r: Resource, c: Context) -> list[Charge]:
    gb = c.assumptions.usage.nat_gb.at(c.assumptions.orders_per_month) / c.share(r)
    return [
        ("NAT gateway hours", c.hours, "hour", "vpc", "nat_gateway_hour"),
        ("NAT data processed", gb, "GB", "vpc", "nat_gateway_gb"),
    ]


def _eip(r: Resource, c: Context) -> list[Charge]:
    return [("public IPv4 address", c.hours, "hour", "vpc", "public_ipv4_hour")]


def _vpc_endpoint(r: Resource, c: Context) -> list[Charge]:
    kind = r.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return []  # S3 / DynamoDB gateway endpoints have no charge
    if kind != "Interface":
        raise PricingError(f"{r.name}: VPC endpoint type {kind!r} has no price")
    azs = max(1, len(r.inputs.get("subnetIds") or []))
    interface = [e for e in c.graph.of_type(r.type) if e.inputs.get("vpcEndpointType") == kind]
    gb = c.assumptions.usage.interface_endpoint_gb.at(c.assumptions.orders_per_month)
    return [
        (
            f"interface endpoint in {azs} AZs",
            azs * c.hours,
            "hour",
            "vpc",
            "interface_endpoint_hour",
        ),
        (
            "endpoint data processed",
            gb / max(1, len(interface)),
            "GB",
            "vpc",
            "interface_endpoint_gb",
        ),
    ]


def _internet_gateway(r: Resource, c: Context) -> list[Charge]:
    gb = c.assumptions.usage.internet_out_gb.at(c.assumptions.orders_per_month) / c.share(r)
    return [("data transfer out to the internet", gb, "GB", "data_transfer", "internet_out_gb")]


def _log_group(r: Resource, c: Context) -> list[Charge]:
    component = component_of(c.graph, r)
    growth = c.assumptions.usage.log_ingest_gb.get(component)
    if growth is None:
        raise PricingError(f"{r.name}: assumptions.yaml has no `log_ingest_gb.{component}`")
    gb = growth.at(c.assumptions.orders_per_month) / c.share(r, same_component=True)
    days = float(r.inputs.get("retentionInDays") or NEVER_EXPIRE_DAYS)
    stored = gb * days / c.assumptions.days_per_month
    return [
        ("log ingestion", gb, "GB", "cloudwatch", "logs_ingest_gb"),
        (
            f"log storage ({days:g} days kept)",
            stored,
            "GB-month",
            "cloudwatch",
            "logs_storage_gb_month",
        ),
    ]


def _kms_key(r: Resource, c: Context) -> list[Charge]:
    requests = c.assumptions.usage.kms_requests.at(c.assumptions.orders_per_month) / c.share(r)
    return [
        ("customer managed key", 1, "month", "kms", "key_month"),
        ("KMS requests", requests / 10_000, "10k requests", "kms", "requests_per_10k"),
    ]


def _secret(r: Resource, c: Context) -> list[Charge]:
    calls = c.assumptions.usage.secrets_api_calls_per_secret
    return [
        ("secret", 1, "month", "secrets_manager", "secret_month"),
        ("API calls", calls / 10_000, "10k calls", "secrets_manager", "api_calls_per_10k"),
    ]


def _load_balancer(kind: str) -> Pricer:
    def pricer(r: Resource, c: Context) -> list[Charge]:
        lcu = c.assumptions.usage.load_balancer_lcu
        return [
            (f"{kind.upper()} hours", c.hours, "hour", "elb", f"{kind}_hour"),
            (
                f"{kind.upper()} capacity units",
                lcu * c.hours,
                "LCU-hour",
                "elb",
                f"{kind}_lcu_hour",
            ),
        ]

    return pricer


def _aws_lb(r: Resource, c: Context) -> list[Charge]:
    kind = {"application": "alb", "network": "nlb"}.get(
        str(r.inputs.get("loadBalancerType") or "application")
    )
    if kind is None:
        raise PricingError(f"{r.name}: load balancer type {r.inputs['loadBalancerType']!r}")
    return _load_balancer(kind)(r, c)


def _k8s_service(r: Resource, c: Context) -> list[Charge]:
    if _get(r.inputs, "spec", "type") != "LoadBalancer":
        return []
    return _load_balancer("nlb")(r, c)  # the AWS Load Balancer Controller makes an NLB


def _k8s_ingress(r: Resource, c: Context) -> list[Charge]:
    cls = _get(r.inputs, "spec", "ingressClassName") or _get(
        r.inputs, "metadata", "annotations", "kubernetes.io/ingress.class"
    )
    return _load_balancer("alb")(r, c) if cls == "alb" else []


def _bucket(r: Resource, c: Context) -> list[Charge]:
    gb = c.assumptions.usage.bucket_gb
    return [("S3 Standard storage", gb, "GB-month", "s3", "standard_gb_month")]


def _alarm(r: Resource, c: Context) -> list[Charge]:
    return [("metric alarm", 1, "month", "cloudwatch", "alarm_month")]


def _dashboard(r: Resource, c: Context) -> list[Charge]:
    return [("dashboard", 1, "month", "cloudwatch", "dashboard_month")]


def _zone(r: Resource, c: Context) -> list[Charge]:
    return [("hosted zone", 1, "month", "route53", "hosted_zone_month")]


def _ec2_instance(r: Resource, c: Context) -> list[Charge]:
    instance = str(r.inputs.get("instanceType"))
    return [(f"{instance} instance-hours", c.hours, "hour", "ec2", instance)]


PRICERS: dict[str, Pricer] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/internetGateway:InternetGateway": _internet_gateway,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:lb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:alb/loadBalancer:LoadBalancer": _aws_lb,
    "kubernetes:core/v1:Service": _k8s_service,
    "kubernetes:networking.k8s.io/v1:Ingress": _k8s_ingress,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:route53/zone:Zone": _zone,
    "aws:ec2/instance:Instance": _ec2_instance,
}

INSTANCE_SECTIONS = frozenset({"ec2", "rds", "elasticache", "msk"})


def price_resource(r: Resource, c: Context) -> list[LineItem]:
    """The resource's line items; an unknown class or rate raises `PricingError` naming it."""
    component = component_of(c.graph, r)
    lines = []
    for item, quantity, unit, section, key in PRICERS[r.type](r, c):
        if section in INSTANCE_SECTIONS and unit == "hour":
            unit_usd = c.prices.instance(section, key, resource=f"{r.type} {r.name}").hour
        else:
            unit_usd = c.prices.rate(section, key).usd
        lines.append(
            LineItem(
                component=component,
                resource=r.name,
                type=r.type,
                item=item,
                quantity=quantity,
                unit=unit,
                unit_usd=unit_usd,
                source=c.prices.source(section),
            )
        )
    return lines
