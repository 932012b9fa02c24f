"""The data tier's security groups say what they guard (`conveyor:role`), as the policies expect.

checkov's CKV2_CONVEYOR_4/5 find the data tier by this tag (policies/checkov/*.yaml); an
untagged database or cache group makes them pass vacuously.
"""

from __future__ import annotations

from policies.synth_graph import Graph


def _roles(graph: Graph, ids: list[str]) -> set[object]:
    groups = [graph.by_id(i) for i in ids]
    assert all(g is not None for g in groups), ids
    return {g.inputs["tags"].get("conveyor:role") for g in groups if g is not None}


def test_each_data_store_sits_behind_groups_tagged_with_its_role(graph: Graph) -> None:
    for db in graph.of_type("aws:rds/instance:Instance"):
        assert _roles(graph, db.inputs["vpcSecurityGroupIds"]) == {"database"}
    redis = graph.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert _roles(graph, redis["securityGroupIds"]) == {"cache"}
    msk = graph.one("aws:msk/cluster:Cluster").inputs
    assert _roles(graph, msk["brokerNodeGroupInfo"]["securityGroups"]) == {"streaming"}
