"""The two sides meet: MSK SCRAM and the Redis password user on AWS, the Secrets the operator reads.

Credentials live in Secrets Manager (KMS-encrypted, generated, never in the clear in the graph or
the outputs); External Secrets, with a role that reads exactly those secrets, builds the Secrets
with the keys operators/pipeline/pods.py reads; the OrderPipeline depends on them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conveyor_platform import connections, pipeline

from operators.pipeline import pods
from operators.pipeline.spec import OrderPipeline
from policies.synth_graph import Graph, Resource
from tests.integration.platform import checks
from workloads.catalogue import WORKLOADS, database_name

EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
SECRET = "aws:secretsmanager/secret:Secret"


def _credential(graph: Graph, part: str) -> Resource:
    return next(s for s in graph.of_type(SECRET) if part in s.name)


def _external_secrets(graph: Graph) -> dict[str, Resource]:
    """The pipeline namespace's ExternalSecrets (monitoring has Grafana's admin login)."""
    namespace = graph.config["addons"]["pipelineNamespace"]
    return {
        r.inputs["metadata"]["name"]: r
        for r in graph.of_type(EXTERNAL_SECRET)
        if r.inputs["metadata"]["namespace"] == namespace
    }


def _app_targets() -> set[str]:
    """The Kubernetes Secrets of the workloads' own secrets (admin token, signing passphrase)."""
    return {target for target, _ in pipeline.APP_SECRETS.values()}


def _reader_statements(graph: Graph) -> list[dict[str, Any]]:
    policy = next(
        r
        for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name.endswith("-secrets-reader-policy")
    )
    return list(json.loads(policy.inputs["policy"])["Statement"])


def test_msk_admits_scram_and_iam_over_tls_only(graph: Graph) -> None:
    msk = graph.one("aws:msk/cluster:Cluster").inputs
    assert msk["clientAuthentication"] == {
        "sasl": {"iam": True, "scram": True},
        "unauthenticated": False,
    }
    assert msk["encryptionInfo"]["encryptionInTransit"] == {
        "clientBroker": "TLS",
        "inCluster": True,
    }
    assert (
        graph.outputs["kafkaBootstrapBrokers"]
        == graph.one("aws:msk/cluster:Cluster").state["bootstrapBrokersSaslScram"]
    )
    assert {hp.rsplit(":", 1)[1] for hp in graph.outputs["kafkaBootstrapBrokers"].split(",")} == {
        "9096"
    }


def test_the_scram_secret_is_msk_named_on_our_key_and_associated(graph: Graph) -> None:
    secret = _credential(graph, "-kafka-credential")
    assert secret.inputs["name"].startswith("AmazonMSK_")
    key = graph.by_arn(secret.inputs["kmsKeyId"])
    assert key is not None
    assert key.name.endswith("-msk-key")
    association = graph.one("aws:msk/scramSecretAssociation:ScramSecretAssociation").inputs
    assert association["secretArnLists"] == [secret.state["arn"]]
    assert association["clusterArn"] == graph.one("aws:msk/cluster:Cluster").state["arn"]


def test_every_credential_is_generated_encrypted_and_only_a_pulumi_secret(graph: Graph) -> None:
    secrets = graph.of_type(SECRET)
    # Kafka, Redis, Grafana's admin (test_grafana_admin.py), the workloads' own two
    assert len(secrets) == 3 + len(pipeline.APP_SECRETS)
    for secret in secrets:
        assert graph.is_kms_key(secret.inputs.get("kmsKeyId")), secret.name
    versions = graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert {v.inputs["secretId"] for v in versions} == {s.id for s in secrets}
    assert all(v.inputs["secretString"] == "[secret]" for v in versions)
    assert checks.secrets(graph) == []


def test_redis_app_user_has_a_secret_password_and_default_is_off(graph: Graph) -> None:
    users = {u.inputs["userName"]: u.inputs for u in graph.of_type("aws:elasticache/user:User")}
    assert users["default"]["accessString"].startswith("off")
    app_name = graph.outputs["redisUser"]
    assert users[app_name]["authenticationMode"] == {"type": "password", "passwords": ["[secret]"]}
    group = graph.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert (group["transitEncryptionEnabled"], group["transitEncryptionMode"]) == (True, "required")
    secret = _credential(graph, "-redis-credential")
    key = graph.by_arn(secret.inputs["kmsKeyId"])
    assert key is not None
    assert key.name.endswith("-redis-key")


def test_the_reader_role_reads_exactly_the_connection_secrets(graph: Graph) -> None:
    read, decrypt = _reader_statements(graph)
    expected = {
        graph.outputs["kafkaCredentialSecretArn"],
        graph.outputs["redisCredentialSecretArn"],
        *graph.outputs["databaseSecretArns"].values(),
        *(_credential(graph, f"-{target}-credential").state["arn"] for target in _app_targets()),
    }
    assert read["Action"] == ["secretsmanager:GetSecretValue"]
    assert set(read["Resource"]) == expected
    assert len(read["Resource"]) == len(expected)
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert all(graph.is_kms_key(arn) for arn in decrypt["Resource"])
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }
    assert "*" not in json.dumps([read, decrypt])


def test_only_the_pipeline_namespaces_reader_account_may_assume_it(graph: Graph) -> None:
    role = next(r for r in graph.of_type("aws:iam/role:Role") if r.name.endswith("-secrets-reader"))
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    (subject,) = statement["Condition"]["StringLike"].values()
    namespace = graph.config["addons"]["pipelineNamespace"]
    assert subject == f"system:serviceaccount:{namespace}:{connections.READER_ACCOUNT}"
    (store,) = [
        s.inputs
        for s in graph.of_type("kubernetes:external-secrets.io/v1:SecretStore")
        if s.inputs["metadata"]["namespace"] == namespace
    ]
    assert store["spec"]["provider"]["aws"]["auth"] == {
        "jwt": {"serviceAccountRef": {"name": connections.READER_ACCOUNT}}
    }
    assert graph.outputs["secretsReaderRoleArn"] == role.state["arn"]


def test_external_secrets_build_every_key_the_operator_reads(graph: Graph) -> None:
    resource = graph.one("kubernetes:conveyor.dev/v1alpha1:OrderPipeline")
    spec = OrderPipeline.model_validate(resource.inputs).spec
    wanted: dict[str, set[str]] = {}
    for workload in spec.workloads:
        for secret, key in pods.secret_refs(spec, workload).values():
            wanted.setdefault(secret, set()).add(key)
    built = _external_secrets(graph)
    assert spec.kafka is not None
    assert spec.kafka.auth_secret_ref is not None
    assert spec.postgres is not None
    assert spec.redis is not None
    named = {spec.kafka.auth_secret_ref.name, spec.postgres.secret_ref.name}
    named.add(spec.redis.secret_ref.name)
    named |= {ref.name for w in spec.workloads.values() for ref in w.secret_env.values()}
    # Every Secret the spec names is built (Redis too, though only the gateway reads it).
    assert set(built) == named
    assert named == {"conveyor-kafka", "conveyor-postgres", "conveyor-redis", *_app_targets()}
    assert set(wanted) <= set(built)
    wanted.setdefault(spec.redis.secret_ref.name, set()).add(spec.redis.secret_ref.key)
    for name, keys in wanted.items():
        target = built[name].inputs["spec"]["target"]
        template = target.get("template", {}).get("data")
        produced = (
            set(template)
            if template
            else {d["secretKey"] for d in built[name].inputs["spec"]["data"]}
        )
        assert keys <= produced, name
        assert target["name"] == name
        assert (
            built[name].inputs["metadata"]["namespace"] == resource.inputs["metadata"]["namespace"]
        )


def test_connection_urls_point_at_the_stacks_endpoints(graph: Graph) -> None:
    built = _external_secrets(graph)
    redis = built["conveyor-redis"].inputs["spec"]
    assert redis["target"]["template"]["data"]["url"] == (
        "rediss://{{ .username | urlquery }}:{{ .password | urlquery }}"
        f"@{graph.outputs['redisPrimaryEndpoint']}:6379"
    )
    assert {d["remoteRef"]["key"] for d in redis["data"]} == {
        graph.outputs["redisCredentialSecretArn"]
    }
    kafka = built["conveyor-kafka"].inputs["spec"]["data"]
    assert {(d["secretKey"], d["remoteRef"]["property"]) for d in kafka} == {
        ("username", "username"),
        ("password", "password"),
    }
    assert {d["remoteRef"]["key"] for d in kafka} == {graph.outputs["kafkaCredentialSecretArn"]}
    urls = built["conveyor-postgres"].inputs["spec"]["target"]["template"]["data"]
    endpoint = graph.outputs["databaseEndpoints"]["shared"]
    for workload in (w.name for w in WORKLOADS if w.owns_database):
        assert urls[workload].endswith(f"@{endpoint}/{database_name(workload)}?sslmode=require")


def test_per_service_instances_give_each_workload_its_own_instances_secret(
    per_service: Graph,
) -> None:
    spec = _external_secrets(per_service)["conveyor-postgres"].inputs["spec"]
    sources = {d["secretKey"]: d["remoteRef"]["key"] for d in spec["data"]}
    arns = per_service.outputs["databaseSecretArns"]
    endpoints = per_service.outputs["databaseEndpoints"]
    for workload, url in spec["target"]["template"]["data"].items():
        assert sources[f"{workload}_password"] == arns[workload]
        assert f"{{{{ .{workload}_password | urlquery }}}}@{endpoints[workload]}/" in url


def test_destroy_removes_the_pipeline_before_its_secrets_and_those_before_eso(graph: Graph) -> None:
    pipeline = graph.one("kubernetes:conveyor.dev/v1alpha1:OrderPipeline")
    release = next(
        r
        for r in graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "external-secrets"
    )
    namespace = graph.config["addons"]["pipelineNamespace"]
    (store,) = [
        s
        for s in graph.of_type("kubernetes:external-secrets.io/v1:SecretStore")
        if s.inputs["metadata"]["namespace"] == namespace
    ]
    assert release.urn in store.dependencies
    for external in _external_secrets(graph).values():
        assert external.urn in pipeline.dependencies, external.name
        assert {store.urn, release.urn} <= set(external.dependencies)
    assert release.inputs["version"] == graph.config["addons"]["externalSecrets"]["version"]


def test_outputs_carry_secret_arns_and_never_a_value(graph: Graph) -> None:
    for name in ("kafkaCredentialSecretArn", "redisCredentialSecretArn"):
        assert graph.outputs[name].startswith("arn:aws:secretsmanager:")
    assert "[secret]" not in json.dumps(graph.outputs)
    assert checks.outputs(graph) == []


@pytest.mark.parametrize("where", ["secretVersion", "redisUser"])
def test_a_password_in_the_clear_is_reported(graphs: dict[str, Graph], where: str) -> None:
    broken = copy.deepcopy(graphs["prod"])
    if where == "secretVersion":
        broken.of_type("aws:secretsmanager/secretVersion:SecretVersion")[0].inputs[
            "secretString"
        ] = '{"username": "u", "password": "hunter2"}'
    else:
        user = next(
            u
            for u in broken.of_type("aws:elasticache/user:User")
            if u.inputs["authenticationMode"]["type"] == "password"
        )
        user.inputs["authenticationMode"]["passwords"] = ["hunter2hunter2hunter2"]
    assert checks.secrets(broken) != []
