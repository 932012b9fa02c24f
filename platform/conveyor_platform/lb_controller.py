"""The AWS Load Balancer Controller's IAM policy, scoped to this cluster and VPC.

The action set follows the controller's published policy for v2.x (kubernetes-sigs/
aws-load-balancer-controller, docs/install/iam_policy.json; chart 1.14.x ships app v2.14.x),
re-expressed with tighter scopes where the API allows it:
- reads take "*": Describe*/Get* accept no resource ARNs (the CKV_AWS_355 skip says so);
- ingress rules may be added to and removed from any security group *in this VPC*, tagged or not:
  the controller opens the EKS cluster security group (which it did not create and which carries
  no controller tag) to its load balancers' security groups;
- listeners and rules are created, changed and deleted on this region's load balancers; targets
  are registered in target groups. The published policy grants these on "*" without tags too,
  because listener and rule ARNs carry no controller tag;
- everything else that changes or deletes load balancers, target groups and security groups
  needs the `elbv2.k8s.aws/cluster` tag with this cluster's name, at creation or on the resource.
WAF, WAFv2 and Shield integrations are switched off in the chart values (addons.py), so the
policy keeps only their reads and none of their writes.
"""

from __future__ import annotations

from conveyor_platform import iam_documents

CLUSTER_TAG = "elbv2.k8s.aws/cluster"

READS = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:DescribeRouteTables",
    "ec2:DescribeIpamPools",
    "ec2:DescribeCoipPools",
    "ec2:GetCoipPoolUsage",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeCapacityReservation",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "iam:ListServerCertificates",
    "iam:GetServerCertificate",
    "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "shield:GetSubscriptionState",
    "shield:DescribeProtection",
]

OWNED_CHANGES = [
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyIpPools",
]

LISTENER_CHANGES = [
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
]


def policy(cluster_name: str, region: str, vpc_id: str) -> str:
    """The controller's rights: reads anywhere, writes in this VPC / on this cluster's tags."""
    elb = f"arn:aws:elasticloadbalancing:{region}:*"
    groups = f"arn:aws:ec2:{region}:*:security-group/*"
    vpc = f"arn:aws:ec2:{region}:*:vpc/{vpc_id}"
    balancers = [f"{elb}:loadbalancer/app/*/*", f"{elb}:loadbalancer/net/*/*"]
    target_groups = [f"{elb}:targetgroup/*/*"]
    listeners = [
        f"{elb}:listener/app/*/*/*",
        f"{elb}:listener/net/*/*/*",
        f"{elb}:listener-rule/app/*/*/*",
        f"{elb}:listener-rule/net/*/*/*",
    ]
    ours = {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster_name}}
    requested = {f"aws:RequestTag/{CLUSTER_TAG}": cluster_name}
    return iam_documents.document(
        {
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}
            },
        },
        {"Effect": "Allow", "Action": READS, "Resource": "*"},
        {
            # Any group in this VPC, tagged or not: the EKS cluster SG carries no controller tag.
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": groups,
            "Condition": {"ArnLike": {"ec2:Vpc": vpc}},
        },
        {"Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"], "Resource": [groups, vpc]},
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": groups,
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup", **requested}},
        },
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags", "ec2:DeleteSecurityGroup"],
            "Resource": groups,
            "Condition": ours,
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": requested},
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags"],
            "Resource": [*target_groups, *balancers],
            "Condition": {
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": [
                        "CreateTargetGroup",
                        "CreateLoadBalancer",
                    ],
                    **requested,
                }
            },
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [*target_groups, *balancers],
            "Condition": ours,
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": listeners,
        },
        {"Effect": "Allow", "Action": OWNED_CHANGES, "Resource": "*", "Condition": ours},
        {
            # Listener and rule ARNs carry no controller tag (as in the published policy).
            "Effect": "Allow",
            "Action": LISTENER_CHANGES,
            "Resource": [*balancers, *listeners],
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            "Resource": target_groups,
        },
    )
