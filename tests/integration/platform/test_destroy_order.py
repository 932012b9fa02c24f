"""Destroy runs the dependency graph backwards: what a resource needs must be its dependency.

Access to the API server, IAM grants of roles that AWS services or controllers assume: if they
are not dependencies of their users, `pulumi destroy` may delete them first and strand the rest
(add-ons it can no longer delete, load balancers the controller can no longer remove).
"""

from __future__ import annotations

from policies.synth_graph import Graph, Resource

ACCESS = (
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
)


def _depends_on(resource: Resource, other: Resource) -> bool:
    return other.urn in resource.dependencies


def _attachments_of(graph: Graph, role: Resource) -> list[Resource]:
    attached = [
        a
        for a in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        + graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if a.inputs["role"] in (role.id, role.state.get("name"), role.inputs.get("name"))
    ]
    assert attached, f"role {role.name} has no policy"
    return attached


def _role_by_arn(graph: Graph, arn: object) -> Resource:
    role = graph.by_arn(arn)
    assert role is not None, arn
    assert role.type == "aws:iam/role:Role", arn
    return role


def test_the_kubernetes_provider_and_every_addon_outlive_cluster_access(graph: Graph) -> None:
    access = [r for token in ACCESS for r in graph.of_type(token)]
    assert access, "no access entries"
    provider = graph.one("pulumi:providers:kubernetes")
    namespaces = graph.of_type("kubernetes:core/v1:Namespace")
    for grant in access:
        assert _depends_on(provider, grant), f"k8s provider must depend on {grant.name}"
        for namespace in namespaces:
            assert _depends_on(namespace, grant), f"{namespace.name} before {grant.name}"


def test_the_lb_controller_is_removed_before_its_permissions(graph: Graph) -> None:
    controller = next(
        r
        for r in graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "aws-load-balancer-controller"
    )
    policy = next(
        p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if "lb-controller" in p.name
    )
    assert _depends_on(controller, policy)


def test_eks_and_its_node_groups_wait_for_their_roles_policies(graph: Graph) -> None:
    eks = graph.one("aws:eks/cluster:Cluster")
    for grant in _attachments_of(graph, _role_by_arn(graph, eks.inputs["roleArn"])):
        assert _depends_on(eks, grant), grant.name
    for group in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        for grant in _attachments_of(graph, _role_by_arn(graph, group.inputs["nodeRoleArn"])):
            assert _depends_on(group, grant), f"{group.name} -> {grant.name}"


def test_irsa_addons_and_the_flow_log_wait_for_their_roles_policies(graph: Graph) -> None:
    users = [
        a for a in graph.of_type("aws:eks/addon:Addon") if a.inputs.get("serviceAccountRoleArn")
    ]
    users += graph.of_type("aws:ec2/flowLog:FlowLog")
    assert len(users) >= 2
    for user in users:
        role_arn = user.inputs.get("serviceAccountRoleArn") or user.inputs["iamRoleArn"]
        for grant in _attachments_of(graph, _role_by_arn(graph, role_arn)):
            assert _depends_on(user, grant), f"{user.name} -> {grant.name}"
