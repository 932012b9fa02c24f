"""EKS: control plane, managed node groups, OIDC for IRSA, access entries, core add-ons.

The API server logs to CloudWatch, Kubernetes secrets are envelope-encrypted with the cluster key,
the endpoint is private (public only where the stack config allows it, and then only from listed
CIDRs). Authentication is by access entries (`API` mode), never the aws-auth ConfigMap, and the
identity that runs `pulumi up` gets no implicit admin: the config's admin roles do. Nodes run in
the private subnets with only the node policies, on root volumes encrypted with the nodes' key
(a launch template per node group, so the account's EBS default does not matter); the VPC CNI
gets its ENI rights through IRSA rather than the node role. Core add-ons are pinned; the ones
that do not need nodes are installed before the node group (so nodes join with a working CNI),
CoreDNS after it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from conveyor_platform import iam_documents
from conveyor_platform.config import Cluster as ClusterConfig
from conveyor_platform.tags import Tagging

NODE_INDEPENDENT_ADDONS = frozenset({"vpc-cni", "kube-proxy", "eks-pod-identity-agent"})
MANAGED = "arn:aws:iam::aws:policy/"
ROOT_DEVICE = "/dev/xvda"  # the AL2023 EKS AMIs' root device
ADMIN_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def ami_type(instance_types: list[str]) -> str:
    """Graviton families (m7g, c7g, t4g ...) need the ARM image; the rest x86-64."""
    family = instance_types[0].split(".")[0]
    return "AL2023_ARM_64_STANDARD" if family.endswith("g") else "AL2023_x86_64_STANDARD"


def kubeconfig(name: str, endpoint: str, ca_data: str, region: str, role_arn: str) -> str:
    """A kubeconfig that gets tokens from `aws eks get-token` as one of the admin roles."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": [
                "eks",
                "get-token",
                "--cluster-name",
                name,
                "--region",
                region,
                "--role-arn",
                role_arn,
            ],
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [{"name": name, "user": user}],
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class ClusterArgs:
    prefix: str
    region: str
    config: ClusterConfig
    tagging: Tagging
    private_subnet_ids: list[pulumi.Output[str]]
    secrets_key_arn: pulumi.Input[str]
    volumes_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    network_ready: list[pulumi.Resource]


class Cluster(pulumi.ComponentResource):
    eks: aws.eks.Cluster
    name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    oidc_provider: aws.iam.OpenIdConnectProvider
    oidc_issuer: pulumi.Output[str]
    node_groups: list[aws.eks.NodeGroup]
    addons: list[aws.eks.Addon]
    access: list[pulumi.Resource]
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("conveyor:platform:Cluster", name, None, opts)
        self._args = args
        config, prefix, tag = args.config, args.prefix, args.tagging.of
        child = pulumi.ResourceOptions(parent=self)

        # Control-plane logs: the group exists (encrypted, with retention) before EKS makes one.
        log_group = aws.cloudwatch.LogGroup(
            f"{prefix}-eks-logs",
            name=f"/aws/eks/{prefix}/cluster",
            retention_in_days=config.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=tag(f"{prefix}-eks-logs"),
            opts=child,
        )
        cluster_role, cluster_grants = self._role(
            f"{prefix}-eks", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"]
        )

        vpc_config: dict[str, object] = {
            "subnet_ids": args.private_subnet_ids,
            "endpoint_private_access": True,
            "endpoint_public_access": config.endpoint_public_access,
        }
        if config.endpoint_public_access:
            vpc_config["public_access_cidrs"] = [str(c) for c in config.public_access_cidrs]
        self.eks = aws.eks.Cluster(
            prefix,
            name=prefix,
            version=config.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(**vpc_config),  # type: ignore[arg-type]
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(config.log_types),
            bootstrap_self_managed_addons=False,
            tags=tag(prefix),
            # The role's policy is attached before EKS assumes it, and detached only after.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[log_group, *cluster_grants, *args.network_ready]
            ),
        )
        self.name = self.eks.name
        self.security_group_id = self.eks.vpc_config.cluster_security_group_id

        # IRSA: the cluster's OIDC issuer as an IAM identity provider.
        self.oidc_issuer = self.eks.identities[0].oidcs[0].issuer.apply(lambda i: i or "")
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{prefix}-oidc",
            url=self.oidc_issuer,
            client_id_lists=["sts.amazonaws.com"],
            tags=tag(f"{prefix}-oidc"),
            opts=child,
        )

        # Admin access by access entries for the configured roles. Everything that talks to the
        # API server as an admin (the Kubernetes provider, hence every add-on) depends on these,
        # so `pulumi destroy` removes them last, not while the add-ons still need deleting.
        self.access = []
        for index, role_arn in enumerate(config.admin_role_arns):
            entry = aws.eks.AccessEntry(
                f"{prefix}-admin-{index}",
                cluster_name=self.eks.name,
                principal_arn=role_arn,
                type="STANDARD",
                tags=tag(f"{prefix}-admin-{index}"),
                opts=child,
            )
            association = aws.eks.AccessPolicyAssociation(
                f"{prefix}-admin-{index}-policy",
                cluster_name=self.eks.name,
                principal_arn=role_arn,
                policy_arn=ADMIN_ACCESS_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )
            self.access += [entry, association]

        # Add-ons the nodes need to join, then the nodes, then CoreDNS.
        cni_role, cni_grants = self._irsa_role(
            f"{prefix}-vpc-cni-irsa", "kube-system", "aws-node", ["AmazonEKS_CNI_Policy"]
        )
        self.addons = []
        early = [n for n in sorted(config.addons) if n in NODE_INDEPENDENT_ADDONS]
        late = [n for n in sorted(config.addons) if n not in NODE_INDEPENDENT_ADDONS]
        for addon in early:
            irsa = addon == "vpc-cni"
            self.addons.append(
                self._addon(addon, cni_role.arn if irsa else None, cni_grants if irsa else [])
            )

        node_role, node_grants = self._role(
            f"{prefix}-nodes",
            "ec2.amazonaws.com",
            ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"],
        )
        self.node_groups = []
        for group in config.node_groups:
            group_name = f"{prefix}-{group.name}"
            # Root volumes encrypted with our key whatever the account's EBS default is; IMDSv2.
            template = aws.ec2.LaunchTemplate(
                f"{group_name}-template",
                name_prefix=f"{group_name}-",
                update_default_version=True,
                block_device_mappings=[
                    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                        device_name=ROOT_DEVICE,
                        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                            volume_size=group.disk_size_gib,
                            volume_type="gp3",
                            encrypted="true",
                            kms_key_id=args.volumes_key_arn,
                            delete_on_termination="true",
                        ),
                    )
                ],
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    # Pods get AWS credentials by IRSA, never the node's instance profile.
                    http_put_response_hop_limit=1,
                ),
                tags=tag(f"{group_name}-template"),
                opts=child,
            )
            self.node_groups.append(
                aws.eks.NodeGroup(
                    group_name,
                    cluster_name=self.eks.name,
                    node_group_name=group_name,
                    node_role_arn=node_role.arn,
                    subnet_ids=args.private_subnet_ids,
                    instance_types=list(group.instance_types),
                    capacity_type=group.capacity_type,
                    ami_type=ami_type(group.instance_types),
                    launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                        id=template.id, version=template.latest_version.apply(str)
                    ),
                    scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                        min_size=group.min_size,
                        desired_size=group.desired_size,
                        max_size=group.max_size,
                    ),
                    update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                    labels={"conveyor.dev/node-group": group.name},
                    tags=tag(group_name),
                    opts=pulumi.ResourceOptions(
                        parent=self, depends_on=[*self.addons, *node_grants]
                    ),
                )
            )
        for addon in late:
            self.addons.append(self._addon(addon, None, list(self.node_groups)))

        ca_data = self.eks.certificate_authority.apply(lambda ca: ca.data or "")
        admin = config.admin_role_arns[0]
        self.kubeconfig = pulumi.Output.all(self.eks.name, self.eks.endpoint, ca_data).apply(
            lambda v: kubeconfig(v[0], v[1], v[2], args.region, admin)
        )
        self.register_outputs({"name": self.eks.name, "oidcProviderArn": self.oidc_provider.arn})

    def _role(
        self, name: str, service: str, managed: list[str]
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The role and its policy attachments: users of the role depend on both."""
        role = aws.iam.Role(
            name,
            assume_role_policy=iam_documents.service_trust(service),
            tags=self._args.tagging.of(name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, self._attach(name, role, managed)

    def _irsa_role(
        self, name: str, namespace: str, account: str, managed: list[str]
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        trust = pulumi.Output.all(self.oidc_provider.arn, self.oidc_issuer).apply(
            lambda v: iam_documents.irsa_trust(v[0], v[1], namespace, account)
        )
        role = aws.iam.Role(
            name,
            assume_role_policy=trust,
            tags=self._args.tagging.of(name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, self._attach(name, role, managed)

    def _attach(self, name: str, role: aws.iam.Role, managed: list[str]) -> list[pulumi.Resource]:
        return [
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=role.name,
                policy_arn=MANAGED + policy,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy in managed
        ]

    def _addon(
        self, addon: str, role_arn: pulumi.Output[str] | None, after: list[pulumi.Resource]
    ) -> aws.eks.Addon:
        name = f"{self._args.prefix}-{addon}"
        return aws.eks.Addon(
            name,
            cluster_name=self.eks.name,
            addon_name=addon,
            addon_version=self._args.config.addons[addon],
            service_account_role_arn=role_arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=self._args.tagging.of(name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
