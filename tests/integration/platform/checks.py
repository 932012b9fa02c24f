"""Security and resilience properties of a synthesized stack, as pure functions over the graph.

Each returns the list of violations (empty when the property holds), so a test asserts `== []`
on the real graphs and `!= []` on a deliberately broken copy (test_checks_bite.py): every check
is proven able to fail.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import warnings
from functools import cache
from importlib import import_module

from conveyor_platform.mocks import MOCK_PASSWORD, SECRET

from policies.synth_graph import Graph, Resource
from policies.tagging import REQUIRED_TAGS

OPEN = frozenset({"0.0.0.0/0", "::/0"})
SECRET_INPUTS = frozenset({"password", "masterPassword", "authToken", "passwords", "secretString"})
REQUIRED_OUTPUTS = (
    "clusterName",
    "clusterEndpoint",
    "kubeconfigCommand",
    "databaseEndpoints",
    "databaseSecretArns",
    "redisPrimaryEndpoint",
    "kafkaBootstrapBrokers",
    "grafanaUrl",
    "workloadRoleArn",
)


def _type_of(resource: Resource | None) -> str | None:
    return resource.type if resource is not None else None


def encryption(graph: Graph) -> list[str]:
    return [
        *_rds_encryption(graph),
        *_redis_encryption(graph),
        *_msk_encryption(graph),
        *_eks_and_logs_encryption(graph),
    ]


def _rds_encryption(graph: Graph) -> list[str]:
    problems: list[str] = []
    for db in graph.of_type("aws:rds/instance:Instance"):
        i = db.inputs
        if i.get("storageEncrypted") is not True or not graph.is_kms_key(i.get("kmsKeyId")):
            problems.append(f"{db.name}: storage not encrypted with our KMS key")
        if not graph.is_kms_key(i.get("performanceInsightsKmsKeyId")):
            problems.append(f"{db.name}: Performance Insights not on our KMS key")
        if i.get("manageMasterUserPassword") is not True or "password" in i:
            problems.append(f"{db.name}: master password not managed by Secrets Manager")
        group = next(
            (
                p
                for p in graph.of_type("aws:rds/parameterGroup:ParameterGroup")
                if p.inputs.get("name") == i.get("parameterGroupName")
            ),
            None,
        )
        forced = group is not None and {"name": "rds.force_ssl", "value": "1"} in [
            {"name": p["name"], "value": p["value"]} for p in group.inputs.get("parameters", [])
        ]
        if not forced:
            problems.append(f"{db.name}: parameter group does not force SSL")
    return problems


def _redis_encryption(graph: Graph) -> list[str]:
    problems: list[str] = []
    for rg in graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        i = rg.inputs
        if i.get("atRestEncryptionEnabled") is not True or not graph.is_kms_key(i.get("kmsKeyId")):
            problems.append(f"{rg.name}: not encrypted at rest with our KMS key")
        if (
            i.get("transitEncryptionEnabled") is not True
            or i.get("transitEncryptionMode") != "required"
        ):
            problems.append(f"{rg.name}: TLS not required")
        if not i.get("userGroupIds") and not i.get("authToken"):
            problems.append(f"{rg.name}: no authentication")
    return problems


def _msk_encryption(graph: Graph) -> list[str]:
    problems: list[str] = []
    for msk in graph.of_type("aws:msk/cluster:Cluster"):
        i = msk.inputs
        info = i.get("encryptionInfo", {})
        transit = info.get("encryptionInTransit", {})
        if transit.get("clientBroker") != "TLS" or transit.get("inCluster") is not True:
            problems.append(f"{msk.name}: not TLS in transit")
        if not graph.is_kms_key(info.get("encryptionAtRestKmsKeyArn")):
            problems.append(f"{msk.name}: not encrypted at rest with our KMS key")
        auth = i.get("clientAuthentication", {})
        if auth.get("unauthenticated") is not False or not (
            auth.get("sasl", {}).get("iam") or auth.get("sasl", {}).get("scram")
        ):
            problems.append(f"{msk.name}: clients need not authenticate with IAM/SCRAM")
    return problems


def _eks_and_logs_encryption(graph: Graph) -> list[str]:
    problems: list[str] = []
    for eks in graph.of_type("aws:eks/cluster:Cluster"):
        configs = eks.inputs.get("encryptionConfig", {})
        if "secrets" not in configs.get("resources", []) or not graph.is_kms_key(
            configs.get("provider", {}).get("keyArn")
        ):
            problems.append(f"{eks.name}: Kubernetes secrets not envelope-encrypted")
    for group in graph.of_type("aws:cloudwatch/logGroup:LogGroup"):
        if not graph.is_kms_key(group.inputs.get("kmsKeyId")):
            problems.append(f"{group.name}: log group not encrypted with our KMS key")
        if not group.inputs.get("retentionInDays"):
            problems.append(f"{group.name}: log group keeps logs forever")
    for key in graph.of_type("aws:kms/key:Key"):
        if key.inputs.get("enableKeyRotation") is not True:
            problems.append(f"{key.name}: key rotation off")
    vpc_ids = {str(v.id) for v in graph.of_type("aws:ec2/vpc:Vpc")}
    logged = {
        f.inputs.get("vpcId")
        for f in graph.of_type("aws:ec2/flowLog:FlowLog")
        if f.inputs.get("trafficType") == "ALL"
        and _type_of(graph.by_arn(f.inputs.get("logDestination")))
        == "aws:cloudwatch/logGroup:LogGroup"
    }
    problems += [f"{vpc}: no flow logs of all traffic" for vpc in sorted(vpc_ids - logged)]
    return problems


def exposure(graph: Graph) -> list[str]:
    problems: list[str] = []
    for db in graph.of_type("aws:rds/instance:Instance"):
        if db.inputs.get("publiclyAccessible") is not False:
            problems.append(f"{db.name}: publicly accessible")
    for msk in graph.of_type("aws:msk/cluster:Cluster"):
        access = msk.inputs["brokerNodeGroupInfo"].get("connectivityInfo", {})
        if access.get("publicAccess", {}).get("type") != "DISABLED":
            problems.append(f"{msk.name}: brokers publicly reachable")
    wanted_public = graph.config["cluster"]["endpointPublicAccess"]
    for eks in graph.of_type("aws:eks/cluster:Cluster"):
        vpc = eks.inputs["vpcConfig"]
        if vpc.get("endpointPrivateAccess") is not True:
            problems.append(f"{eks.name}: no private endpoint")
        if vpc.get("endpointPublicAccess") is not wanted_public:
            problems.append(f"{eks.name}: public endpoint is not as the stack config says")
        if vpc.get("endpointPublicAccess") and OPEN & set(
            vpc.get("publicAccessCidrs", ["0.0.0.0/0"])
        ):
            problems.append(f"{eks.name}: public endpoint open to the internet")
        if eks.inputs.get("accessConfig", {}).get("authenticationMode") != "API":
            problems.append(f"{eks.name}: aws-auth ConfigMap instead of access entries")
    return problems + _subnet_exposure(graph)


def _subnet_exposure(graph: Graph) -> list[str]:
    problems: list[str] = []
    for subnet in graph.of_type("aws:ec2/subnet:Subnet"):
        if subnet.inputs.get("mapPublicIpOnLaunch") is not False:
            problems.append(f"{subnet.name}: gives public IPs on launch")
    data_subnets = {
        sid
        for token, path in (
            ("aws:rds/subnetGroup:SubnetGroup", ("subnetIds",)),
            ("aws:elasticache/subnetGroup:SubnetGroup", ("subnetIds",)),
            ("aws:msk/cluster:Cluster", ("brokerNodeGroupInfo", "clientSubnets")),
        )
        for r in graph.of_type(token)
        for sid in _dig(r.inputs, path)
    }
    for sid in sorted(str(s) for s in data_subnets):
        found = graph.by_id(sid)
        if found is None or found.inputs.get("tags", {}).get("tier") != "isolated":
            problems.append(f"{sid}: a data store in a subnet that is not isolated")
    return problems


def _dig(value: dict[str, object], path: tuple[str, ...]) -> list[object]:
    current: object = value
    for part in path:
        current = current.get(part, {}) if isinstance(current, dict) else {}
    return list(current) if isinstance(current, list) else []


def _ingress_rules(graph: Graph) -> list[Resource]:
    return graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")


def ingress(graph: Graph) -> list[str]:
    """No ingress from the internet; data stores only from the cluster, on their ports only."""
    problems: list[str] = []
    for rule in _ingress_rules(graph):
        i = rule.inputs
        if i.get("cidrIpv4") in OPEN or i.get("cidrIpv6") in OPEN or i.get("ipProtocol") == "-1":
            problems.append(f"{rule.name}: open ingress")
    for group in graph.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for inline in group.inputs.get("ingress", []):
            problems.append(f"{group.name}: inline ingress rule {inline}")
    cluster_sg = {
        e.state["vpcConfig"]["clusterSecurityGroupId"]
        for e in graph.of_type("aws:eks/cluster:Cluster")
    }
    stores = {
        ("aws:rds/instance:Instance", ("vpcSecurityGroupIds",)): {5432},
        ("aws:elasticache/replicationGroup:ReplicationGroup", ("securityGroupIds",)): {6379},
        ("aws:msk/cluster:Cluster", ("brokerNodeGroupInfo", "securityGroups")): {
            9096,
            9098,
            11001,
            11002,
        },
    }
    for (token, path), ports in stores.items():
        for store in graph.of_type(token):
            groups = set(_dig(store.inputs, path))
            if not groups:
                problems.append(f"{store.name}: no security group")
            for rule in _ingress_rules(graph):
                i = rule.inputs
                if i.get("securityGroupId") not in groups:
                    continue
                if i.get("referencedSecurityGroupId") not in cluster_sg or i.get("cidrIpv4"):
                    problems.append(f"{store.name}: {rule.name} admits more than the cluster")
                if i.get("fromPort") != i.get("toPort") or i.get("fromPort") not in ports:
                    problems.append(f"{store.name}: {rule.name} opens ports beyond {sorted(ports)}")
    return problems


@cache
def _taggable(token: str) -> bool:
    """Whether the pulumi-aws type accepts `tags` (from the SDK's own Args signature)."""
    module_name = token.split(":")[1].split("/", maxsplit=1)[0]
    class_name = token.rsplit(":", 1)[1]
    with warnings.catch_warnings():  # the SDK warns about its own deprecated types on import
        warnings.simplefilter("ignore", DeprecationWarning)
        module = import_module(
            f"pulumi_aws.{module_name}" if module_name != "index" else "pulumi_aws"
        )
        args = getattr(module, f"{class_name}Args")
    return "tags" in inspect.signature(args.__init__).parameters


def tags(graph: Graph) -> list[str]:
    expected = {
        "project": "conveyor",
        "environment": graph.stack,
        "owner": graph.config["tags"]["owner"],
        "cost-center": graph.config["tags"]["costCenter"],
    }
    problems: list[str] = []
    for r in graph.resources:
        if not r.custom or not r.type.startswith("aws:") or not _taggable(r.type):
            continue
        have = r.inputs.get("tags", {})
        wrong = {k: have.get(k) for k in REQUIRED_TAGS if have.get(k) != expected[k]}
        if wrong:
            problems.append(f"{r.name}: tags {wrong}")
    provider = graph.one("pulumi:providers:aws")
    defaults = provider.inputs.get("defaultTags", {})
    if isinstance(defaults, str):  # providers get their inputs JSON-encoded
        defaults = json.loads(defaults)
    if defaults.get("tags") != expected:
        problems.append(f"aws provider default tags {defaults}")
    return problems


def resilience(graph: Graph) -> list[str]:
    """The graph does what the stack config says about zones, failover and protection."""
    config, problems = graph.config, []
    zones = len(config["network"]["availabilityZones"])
    nats = len(graph.of_type("aws:ec2/natGateway:NatGateway"))
    if nats != (zones if config["network"]["natGateways"] == "per-az" else 1):
        problems.append(f"{nats} NAT gateways for natGateways={config['network']['natGateways']}")
    for tier in ("public", "private", "isolated"):
        found = {
            s.inputs["availabilityZone"]
            for s in graph.of_type("aws:ec2/subnet:Subnet")
            if s.inputs["tags"].get("tier") == tier
        }
        if len(found) != zones:
            problems.append(f"{tier} subnets span {len(found)} zones, not {zones}")
    db = config["database"]
    for r in graph.of_type("aws:rds/instance:Instance"):
        i = r.inputs
        expected = {
            "multiAz": db["multiAz"],
            "deletionProtection": db["deletionProtection"],
            "backupRetentionPeriod": db["backupRetentionDays"],
            "instanceClass": db["instanceClass"],
            "skipFinalSnapshot": db["skipFinalSnapshot"],
            "performanceInsightsEnabled": True,
        }
        problems += [
            f"{r.name}: {k}={i.get(k)!r}, want {v!r}" for k, v in expected.items() if i.get(k) != v
        ]
    cache_cfg = config["cache"]
    for r in graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        i = r.inputs
        expected = {
            "multiAzEnabled": cache_cfg["multiAz"],
            "automaticFailoverEnabled": cache_cfg["automaticFailover"],
            "numCacheClusters": cache_cfg["numCacheClusters"],
        }
        problems += [
            f"{r.name}: {k}={i.get(k)!r}, want {v!r}" for k, v in expected.items() if i.get(k) != v
        ]
    streaming = config["streaming"]
    for r in graph.of_type("aws:msk/cluster:Cluster"):
        if r.inputs["numberOfBrokerNodes"] != streaming["brokerCount"]:
            problems.append(f"{r.name}: broker count differs from the config")
        if (
            r.inputs["numberOfBrokerNodes"] % zones
            or len(r.inputs["brokerNodeGroupInfo"]["clientSubnets"]) != zones
        ):
            problems.append(f"{r.name}: brokers not spread over every zone")
    for r in graph.of_type("aws:msk/configuration:Configuration"):
        props = dict(line.split("=", 1) for line in r.inputs["serverProperties"].splitlines())
        if props.get("auto.create.topics.enable") != "false":
            problems.append("topics may be auto-created")
        if props.get("min.insync.replicas") != str(streaming["minInsyncReplicas"]):
            problems.append("min.insync.replicas differs from the config")
    return problems


def outputs(graph: Graph) -> list[str]:
    problems = [
        f"output {name} missing or empty"
        for name in REQUIRED_OUTPUTS
        if not graph.outputs.get(name)
    ]
    for name, arn in sorted(graph.outputs.get("databaseSecretArns", {}).items()):
        if not str(arn).startswith("arn:aws:secretsmanager:"):
            problems.append(f"databaseSecretArns.{name} is not a Secrets Manager ARN")
    text = str(graph.outputs).lower()
    problems += [
        f"outputs mention {word}" for word in ("password", "token=", "secretstring") if word in text
    ]
    return problems


def secrets(graph: Graph) -> list[str]:
    """No secret value in the clear anywhere in the inputs: a password input (at any depth) is
    a Pulumi secret (recorded as `[secret]` by the synth), so it is encrypted in state and no
    literal in code could be one; and no resource mentions the mock generator's value."""
    problems = [
        f"{r.name}: input {path} is not a Pulumi secret"
        for r in graph.resources
        for path in _clear_secret_inputs(r.inputs, "")
    ]
    if MOCK_PASSWORD in json.dumps(dataclasses.asdict(graph)):
        problems.append("a generated password is in the graph")
    return problems


def _clear_secret_inputs(value: object, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in sorted(value.items()):
            here = f"{path}.{key}" if path else str(key)
            if key in SECRET_INPUTS and not _all_secret(inner):
                found.append(here)
            found += _clear_secret_inputs(inner, here)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _clear_secret_inputs(inner, f"{path}[{index}]")
    return found


def _all_secret(value: object) -> bool:
    if isinstance(value, list):
        return bool(value) and all(v == SECRET for v in value)
    return value == SECRET


ALL = {
    "encryption": encryption,
    "exposure": exposure,
    "ingress": ingress,
    "tags": tags,
    "resilience": resilience,
    "outputs": outputs,
    "secrets": secrets,
}
