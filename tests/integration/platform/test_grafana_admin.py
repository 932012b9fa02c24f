"""Grafana's admin login is generated in Secrets Manager, never the chart's default password."""

from __future__ import annotations

import json

from conveyor_platform import connections

from policies.synth_graph import Graph, Resource

MONITORING = "monitoring"


def _kube_prometheus_stack(graph: Graph) -> Resource:
    return next(
        r
        for r in graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "kube-prometheus-stack"
    )


def _grafana_admin(graph: Graph) -> Resource:
    (found,) = [
        r
        for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.inputs["metadata"]["namespace"] == MONITORING
    ]
    return found


def test_grafana_reads_its_admin_login_from_an_existing_secret(graph: Graph) -> None:
    grafana = _kube_prometheus_stack(graph).inputs["values"]["grafana"]
    admin = grafana["admin"]
    assert "adminPassword" not in grafana
    target = _grafana_admin(graph).inputs
    assert admin["existingSecret"] == target["metadata"]["name"] == target["spec"]["target"]["name"]
    keys = {d["secretKey"] for d in target["spec"]["data"]}
    assert keys == {admin["userKey"], admin["passwordKey"]}


def test_the_admin_secret_is_generated_encrypted_and_read_by_a_monitoring_role(
    graph: Graph,
) -> None:
    spec = _grafana_admin(graph).inputs["spec"]
    (arn,) = {d["remoteRef"]["key"] for d in spec["data"]}
    secret = graph.by_arn(arn)
    assert secret is not None
    assert secret.type == "aws:secretsmanager/secret:Secret"
    assert graph.is_kms_key(secret.inputs["kmsKeyId"])
    (version,) = [
        v
        for v in graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if v.inputs["secretId"] == secret.id
    ]
    assert version.inputs["secretString"] == "[secret]"
    policy = next(
        p
        for p in graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name.endswith("-grafana-admin-reader-policy")
    )
    read, _ = json.loads(policy.inputs["policy"])["Statement"]
    assert read["Resource"] == [arn]
    role = next(r for r in graph.of_type("aws:iam/role:Role") if r.id == policy.inputs["role"])
    subject = json.dumps(json.loads(role.inputs["assumeRolePolicy"]))
    assert f"system:serviceaccount:{MONITORING}:{connections.READER_ACCOUNT}" in subject


def test_grafana_is_installed_after_its_secret_and_removed_before_it(graph: Graph) -> None:
    release = _kube_prometheus_stack(graph)
    assert _grafana_admin(graph).urn in release.dependencies
