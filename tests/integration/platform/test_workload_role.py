"""The workloads' IRSA role grants nothing: credentials come from Secrets, not AWS IAM."""

from __future__ import annotations

from policies.synth_graph import Graph


def test_the_workload_role_has_no_policy(graph: Graph) -> None:
    role = graph.by_arn(graph.outputs["workloadRoleArn"])
    assert role is not None
    attached = [
        p.name
        for p in graph.of_type("aws:iam/rolePolicy:RolePolicy")
        + graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if p.inputs["role"] in (role.id, role.state.get("name"))
    ]
    assert attached == []
