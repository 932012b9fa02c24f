"""RDS's exported logs go to groups we declare: retention, our logs key, created first."""

from __future__ import annotations

from policies.synth_graph import Graph


def _check(graph: Graph) -> None:
    groups = {g.inputs["name"]: g for g in graph.of_type("aws:cloudwatch/logGroup:LogGroup")}
    retention = graph.config["cluster"]["logRetentionDays"]
    instances = graph.of_type("aws:rds/instance:Instance")
    assert instances
    for db in instances:
        exports = db.inputs["enabledCloudwatchLogsExports"]
        assert exports
        for export in exports:
            name = f"/aws/rds/instance/{db.inputs['identifier']}/{export}"
            assert name in groups, f"{name} would be created by RDS: no retention, no CMK"
            group = groups[name]
            assert group.inputs["retentionInDays"] == retention
            assert graph.is_kms_key(group.inputs["kmsKeyId"])
            key = graph.by_arn(group.inputs["kmsKeyId"])
            assert key is not None
            assert key.name.endswith("-logs-key")
            assert group.urn in db.dependencies, f"{db.name} before {name}"


def test_every_exported_rds_log_has_a_declared_encrypted_group(graph: Graph) -> None:
    _check(graph)


def test_per_service_instances_each_get_their_log_groups(per_service: Graph) -> None:
    assert len(per_service.of_type("aws:rds/instance:Instance")) > 1
    _check(per_service)
