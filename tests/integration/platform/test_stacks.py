"""Every stack, under mocks: secure by construction, resilient as configured, wired end to end."""

from __future__ import annotations

import json

import yaml

from operators.paths import REPO_ROOT
from operators.pipeline.spec import OrderPipeline
from policies.synth_graph import Graph, Resource
from tests.integration.platform import checks
from workloads.catalogue import WORKLOADS

ROOT = REPO_ROOT


def test_encryption_is_on_everywhere(graph: Graph) -> None:
    assert checks.encryption(graph) == []


def test_nothing_is_public_that_should_not_be(graph: Graph) -> None:
    assert checks.exposure(graph) == []


def test_no_internet_ingress_and_data_stores_admit_only_the_cluster(graph: Graph) -> None:
    assert checks.ingress(graph) == []


def test_every_taggable_resource_carries_the_required_tags(graph: Graph) -> None:
    assert checks.tags(graph) == []


def test_zones_failover_and_protection_follow_the_stack_config(graph: Graph) -> None:
    assert checks.resilience(graph) == []


def test_outputs_are_present_and_hold_no_secret(graph: Graph) -> None:
    assert checks.outputs(graph) == []


def test_no_secret_value_is_a_resource_input(graph: Graph) -> None:
    assert checks.secrets(graph) == []


def test_prod_is_multi_az_private_and_protected(graphs: dict[str, Graph]) -> None:
    prod = graphs["prod"]
    db = prod.one("aws:rds/instance:Instance").inputs
    assert (db["multiAz"], db["deletionProtection"], db["skipFinalSnapshot"]) == (True, True, False)
    assert db["backupRetentionPeriod"] >= 7
    redis = prod.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert (redis["multiAzEnabled"], redis["automaticFailoverEnabled"]) == (True, True)
    msk = prod.one("aws:msk/cluster:Cluster").inputs
    assert msk["numberOfBrokerNodes"] == 3
    assert (
        "min.insync.replicas=2"
        in prod.one("aws:msk/configuration:Configuration").inputs["serverProperties"]
    )
    assert prod.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert len(prod.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_dev_is_smaller_than_prod_by_config_alone(graphs: dict[str, Graph]) -> None:
    dev = graphs["dev"]
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert dev.one("aws:rds/instance:Instance").inputs["multiAz"] is False
    assert len({s.inputs["availabilityZone"] for s in dev.of_type("aws:ec2/subnet:Subnet")}) == 2


def _depends_on(resource: Resource, other: Resource) -> bool:
    return other.urn in resource.dependencies


def _release(graph: Graph, chart: str) -> Resource:
    return next(
        r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == chart
    )


def test_destroy_removes_what_controllers_created_before_the_network(graph: Graph) -> None:
    controller = _release(graph, "aws-load-balancer-controller")
    for group in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert _depends_on(controller, group), "the controller must outlive nothing it runs on"
    for route in graph.of_type("aws:ec2/route:Route"):
        if route.inputs.get("natGatewayId"):
            assert _depends_on(controller, route), "the controller needs egress while it cleans up"
    makers = [
        _release(graph, "kube-prometheus-stack"),  # Grafana's Ingress becomes an ALB
        graph.one("kubernetes:conveyor.dev/v1alpha1:OrderPipeline"),  # the gateway's Service
        next(  # the operator that renders them
            d
            for d in graph.of_type("kubernetes:apps/v1:Deployment")
            if d.inputs["metadata"]["name"] == "conveyor-operator"
        ),
    ]
    for maker in makers:
        assert _depends_on(maker, controller), f"{maker.name} must go before the controller"


def test_every_aws_resource_belongs_to_a_component(graph: Graph) -> None:
    stray = [
        r.name
        for r in graph.resources
        if r.custom
        and not r.type.startswith("pulumi:providers:")
        and "conveyor:platform:" not in (r.parent or "")
    ]
    assert stray == []


def test_core_addons_are_pinned_to_the_configured_versions(graph: Graph) -> None:
    installed = {
        a.inputs["addonName"]: a.inputs["addonVersion"]
        for a in graph.of_type("aws:eks/addon:Addon")
    }
    assert installed == graph.config["cluster"]["addons"]
    assert {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"} <= set(installed)


def test_helm_charts_are_pinned(graph: Graph) -> None:
    for release in graph.of_type("kubernetes:helm.sh/v3:Release"):
        assert release.inputs["version"].count(".") == 2, release.name


def test_order_pipeline_is_valid_for_the_operator_and_wired_to_outputs(graph: Graph) -> None:
    resource = graph.one("kubernetes:conveyor.dev/v1alpha1:OrderPipeline")
    pipeline = OrderPipeline.model_validate(resource.inputs)
    assert pipeline.spec.kafka is not None
    assert pipeline.spec.kafka.bootstrap_servers == graph.outputs["kafkaBootstrapBrokers"]
    assert (
        pipeline.spec.kafka.topics.min_insync_replicas
        == graph.config["streaming"]["minInsyncReplicas"]
    )
    notes = pipeline.metadata.annotations
    assert notes["conveyor.dev/redis-endpoint"] == graph.outputs["redisPrimaryEndpoint"]
    assert notes["conveyor.dev/aws-role-arn"] == graph.outputs["workloadRoleArn"]
    assert (
        graph.outputs["databaseSecretArns"]["shared"]
        in notes["conveyor.dev/postgres-master-secret-arns"]
    )


def test_the_operators_crds_and_manifests_are_declared(graph: Graph) -> None:
    found = []
    for directory in (ROOT / "operators" / "crds", ROOT / "operators" / "deploy"):
        for path in sorted(directory.glob("*.yaml")):
            found += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    crds = {d["metadata"]["name"] for d in found if d["kind"] == "CustomResourceDefinition"}
    declared = {
        r.inputs["metadata"]["name"]
        for r in graph.of_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    }
    assert "orderpipelines.conveyor.dev" in declared
    assert declared == crds
    kinds = {r.type.rsplit(":", 1)[1] for r in graph.resources if r.type.startswith("kubernetes:")}
    assert {d["kind"] for d in found} <= kinds


def test_grafana_is_reached_over_tls_from_inside_the_vpc_only(graph: Graph) -> None:
    values = _release(graph, "kube-prometheus-stack").inputs["values"]
    ingress = values["grafana"]["ingress"]
    notes = ingress["annotations"]
    assert notes["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert notes["alb.ingress.kubernetes.io/inbound-cidrs"] == graph.config["network"]["cidr"]
    assert notes["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS": 443}]'
    assert graph.outputs["grafanaUrl"] == f"https://{ingress['hosts'][0]}"


def test_per_service_instances_give_each_database_owner_its_own(per_service: Graph) -> None:
    owners = {w.name for w in WORKLOADS if w.owns_database}
    instances = per_service.of_type("aws:rds/instance:Instance")
    assert {i.inputs["tags"]["service"] for i in instances} == owners
    assert set(per_service.outputs["databaseSecretArns"]) == owners
    assert checks.encryption(per_service) == []
    assert checks.ingress(per_service) == []
    assert checks.resilience(per_service) == []
    OrderPipeline.model_validate(
        per_service.one("kubernetes:conveyor.dev/v1alpha1:OrderPipeline").inputs
    )


def test_namespaces_keep_the_pod_security_labels_the_operator_declares(graph: Graph) -> None:
    namespaces = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"]
        for r in graph.of_type("kubernetes:core/v1:Namespace")
    }
    operator = graph.config["addons"]["operatorNamespace"]
    assert namespaces[operator].get("pod-security.kubernetes.io/enforce") == "restricted"
    assert len(namespaces) == len(graph.of_type("kubernetes:core/v1:Namespace"))


def test_only_the_logs_key_admits_a_service_and_only_for_this_accounts_log_groups(
    graph: Graph,
) -> None:
    for key in graph.of_type("aws:kms/key:Key"):
        statements = json.loads(key.inputs["policy"])["Statement"]
        services = [s for s in statements if "Service" in s["Principal"]]
        if key.name.endswith("-logs-key"):
            (logs,) = services
            assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].startswith(
                "arn:aws:logs:us-east-1:123456789012:log-group:"
            )
        else:
            assert services == []
