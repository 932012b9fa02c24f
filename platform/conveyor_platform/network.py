"""The VPC: public, private and isolated subnets per zone, NAT, flow logs and endpoints.

- public: load balancers and NAT gateways only (`kubernetes.io/role/elb`); no public IPs on launch.
- private: nodes and internal load balancers (`kubernetes.io/role/internal-elb`), egress via NAT
  (one per zone or a single one, as the stack config says), interface endpoints for ECR, STS,
  logs, EC2 ... so a private cluster pulls images and gets tokens without the internet.
- isolated: RDS, Redis and MSK; no route out at all.
The default security group is emptied, and every flow is logged to a KMS-encrypted log group.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from conveyor_platform import iam_documents
from conveyor_platform.config import Network as NetworkConfig
from conveyor_platform.tags import Tagging


@dataclass(frozen=True)
class NetworkArgs:
    prefix: str
    region: str
    config: NetworkConfig
    tagging: Tagging
    logs_key_arn: pulumi.Input[str]


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    isolated_subnets: list[aws.ec2.Subnet]
    nat_gateways: list[aws.ec2.NatGateway]
    private_routes: list[aws.ec2.Route]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("conveyor:platform:Network", name, None, opts)
        self._args = args
        config, tag, prefix = args.config, args.tagging.of, args.prefix
        child = pulumi.ResourceOptions(parent=self)

        # The VPC, and its default security group stripped of every rule.
        self.vpc = aws.ec2.Vpc(
            f"{prefix}-vpc",
            cidr_block=str(config.cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tag(f"{prefix}-vpc"),
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{prefix}-default-sg",
            vpc_id=self.vpc.id,
            tags=tag(f"{prefix}-default-sg"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{prefix}-igw", vpc_id=self.vpc.id, tags=tag(f"{prefix}-igw"), opts=child
        )

        zones = config.availability_zones
        self.public_subnets = self._subnets(
            "public", config.subnets.public, {"kubernetes.io/role/elb": "1"}
        )
        self.private_subnets = self._subnets(
            "private", config.subnets.private, {"kubernetes.io/role/internal-elb": "1"}
        )
        self.isolated_subnets = self._subnets("isolated", config.subnets.isolated, {})

        # Public route table: the only route to the internet gateway.
        public_rt = aws.ec2.RouteTable(
            f"{prefix}-public-rt", vpc_id=self.vpc.id, tags=tag(f"{prefix}-public-rt"), opts=child
        )
        aws.ec2.Route(
            f"{prefix}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for index, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{prefix}-public-{zones[index]}-assoc",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )

        # NAT: one per zone or a single one (config), each in a public subnet.
        nat_count = len(zones) if config.nat_gateways == "per-az" else 1
        self.nat_gateways = []
        for index in range(nat_count):
            eip = aws.ec2.Eip(
                f"{prefix}-nat-{zones[index]}-eip",
                domain="vpc",
                tags=tag(f"{prefix}-nat-{zones[index]}"),
                opts=child,
            )
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{prefix}-nat-{zones[index]}",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.public_subnets[index].id,
                    tags=tag(f"{prefix}-nat-{zones[index]}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        # Private route tables, one per zone, default route to that zone's NAT (or the single one).
        self.private_routes = []
        private_rts: list[aws.ec2.RouteTable] = []
        for index, subnet in enumerate(self.private_subnets):
            rt = aws.ec2.RouteTable(
                f"{prefix}-private-rt-{zones[index]}",
                vpc_id=self.vpc.id,
                tags=tag(f"{prefix}-private-rt-{zones[index]}"),
                opts=child,
            )
            private_rts.append(rt)
            self.private_routes.append(
                aws.ec2.Route(
                    f"{prefix}-private-default-{zones[index]}",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=self.nat_gateways[index % nat_count].id,
                    opts=child,
                )
            )
            aws.ec2.RouteTableAssociation(
                f"{prefix}-private-{zones[index]}-assoc",
                subnet_id=subnet.id,
                route_table_id=rt.id,
                opts=child,
            )

        # Isolated subnets share one route table with no route out of the VPC.
        isolated_rt = aws.ec2.RouteTable(
            f"{prefix}-isolated-rt",
            vpc_id=self.vpc.id,
            tags=tag(f"{prefix}-isolated-rt"),
            opts=child,
        )
        for index, subnet in enumerate(self.isolated_subnets):
            aws.ec2.RouteTableAssociation(
                f"{prefix}-isolated-{zones[index]}-assoc",
                subnet_id=subnet.id,
                route_table_id=isolated_rt.id,
                opts=child,
            )

        self._flow_logs()
        self._endpoints([*(rt.id for rt in private_rts), isolated_rt.id])

        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "privateSubnetIds": [s.id for s in self.private_subnets],
                "isolatedSubnetIds": [s.id for s in self.isolated_subnets],
            }
        )

    def _subnets(
        self, tier: str, cidrs: list[IPv4Network], extra_tags: dict[str, str]
    ) -> list[aws.ec2.Subnet]:
        args = self._args
        subnets = []
        for zone, cidr in zip(args.config.availability_zones, cidrs, strict=True):
            name = f"{args.prefix}-{tier}-{zone}"
            subnets.append(
                aws.ec2.Subnet(
                    name,
                    vpc_id=self.vpc.id,
                    cidr_block=str(cidr),
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags=args.tagging.of(name, tier=tier, **extra_tags),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        return subnets

    def _flow_logs(self) -> None:
        """Every accepted and rejected flow, to a log group encrypted with the logs key."""
        args, child = self._args, pulumi.ResourceOptions(parent=self)
        name = f"{args.prefix}-flow-logs"
        group = aws.cloudwatch.LogGroup(
            name,
            name=f"/conveyor/{args.tagging.environment}/vpc-flow-logs",
            retention_in_days=args.config.flow_log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=args.tagging.of(name),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=iam_documents.service_trust("vpc-flow-logs.amazonaws.com"),
            tags=args.tagging.of(name),
            opts=child,
        )
        grant = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: iam_documents.document(
                    {
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ],
                        "Resource": [arn, f"{arn}:*"],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{args.prefix}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=args.tagging.of(name),
            # Delivery needs the role's policy from the first flow to the last.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
        )

    def _endpoints(self, gateway_route_table_ids: list[pulumi.Output[str]]) -> None:
        """S3 as a gateway endpoint; the AWS APIs a private cluster calls as interface endpoints."""
        args, child = self._args, pulumi.ResourceOptions(parent=self)
        aws.ec2.VpcEndpoint(
            f"{args.prefix}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=gateway_route_table_ids,
            tags=args.tagging.of(f"{args.prefix}-s3"),
            opts=child,
        )
        if not args.config.interface_endpoints:
            return
        sg_name = f"{args.prefix}-endpoints-sg"
        endpoints_sg = aws.ec2.SecurityGroup(
            sg_name,
            vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to the interface endpoints",
            tags=args.tagging.of(sg_name),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{sg_name}-https",
            security_group_id=endpoints_sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=str(args.config.cidr),
            description="HTTPS from the VPC",
            tags=args.tagging.of(f"{sg_name}-https"),
            opts=child,
        )
        for service in args.config.interface_endpoints:
            name = f"{args.prefix}-{service.replace('.', '-')}"
            aws.ec2.VpcEndpoint(
                name,
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[endpoints_sg.id],
                tags=args.tagging.of(name),
                opts=child,
            )
