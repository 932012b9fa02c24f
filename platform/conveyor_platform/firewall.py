"""Security groups for the data stores: one port, from the cluster's security group only.

Nothing else may reach RDS, Redis or MSK: no CIDR ingress at all, and no egress (data stores
initiate no connections). Tests assert exactly this on the synthesized graph. Each group carries
`conveyor:role` (database / cache / streaming): the policy checks find the data tier by it
(policies/README.md, conventions).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from conveyor_platform.tags import Tagging

ROLE_TAG = "conveyor:role"


def cluster_only_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    cluster_security_group_id: pulumi.Input[str],
    ports: list[tuple[int, str]],
    role: str,
    tagging: Tagging,
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    group = aws.ec2.SecurityGroup(
        name,
        vpc_id=vpc_id,
        description=f"{name}: only from the EKS cluster security group",
        tags=tagging.of(name, **{ROLE_TAG: role}),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for port, purpose in ports:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{port}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=cluster_security_group_id,
            description=purpose,
            tags=tagging.of(f"{name}-{port}"),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return group
