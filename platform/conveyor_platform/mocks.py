"""Pulumi mocks that record the whole resource graph with deterministic ids and ARNs.

Conventions (the synth contract, /tmp/notes/synth-contract.md, relies on them so that a value
can be traced back to the resource it came from):
- every custom resource's id is `<logical name>-id`;
- every `aws:*` resource's state has `arn = arn:aws:<module>:<region>:123456789012:<type>/<name>`
  where `<module>` is the token's module (`rds` in `aws:rds/instance:Instance`) and `<type>` the
  lower-cased type name (`instance`) — unique per resource, though not AWS's real ARN shapes;
- attributes that AWS computes and the program reads (EKS endpoint and OIDC issuer, RDS
  endpoint and master secret, Redis endpoints, MSK bootstrap brokers, EIP allocation ids, KMS
  key ids, the EKS cluster security group) get fixed values derived from the name.
The monitor records each registration with its parent, provider and dependencies, which the
SDK's `Mocks.new_resource` is not told. A Pulumi secret is recorded as `[secret]` where the program
put it (inputs and mock state), so no value the program marks secret — not even a mock one —
reaches a synthesized graph, and tests can see that a password was passed as a secret.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import get_project, get_stack

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
RANDOM_PASSWORD = "aws:secretsmanager/getRandomPassword:getRandomPassword"  # noqa: S105 - a token
# What Secrets Manager's generator returns under mocks; it must never appear in a graph.
MOCK_PASSWORD = "MockGeneratedPassword0123456789abcdefghij"  # noqa: S105 - a mock, by design
SECRET = "[secret]"  # noqa: S105 - the marker that replaces a secret


def _mask(value: struct_pb2.Value) -> None:
    """Replace every secret in a serialized value by `SECRET`, in place, leaf by leaf."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        sig = value.struct_value.fields.get(rpc._special_sig_key)
        if sig is not None and sig.string_value == rpc._special_secret_sig:
            value.string_value = SECRET
            return
        for field_value in value.struct_value.fields.values():
            _mask(field_value)
    elif kind == "list_value":
        for item in value.list_value.values:
            _mask(item)


def masked(properties: struct_pb2.Struct) -> struct_pb2.Struct:
    """A copy of serialized properties with every secret replaced by `SECRET`."""
    copy = struct_pb2.Struct()
    copy.CopyFrom(properties)
    for field_value in copy.fields.values():
        _mask(field_value)
    return copy


def _unsecret(value: Any) -> Any:
    """Mock state with each (deserialized) secret replaced by `SECRET`."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecret(v) for v in value]
    return value


def mock_arn(token: str, name: str) -> str:
    module = token.split(":")[1].split("/", maxsplit=1)[0]
    kind = token.rsplit(":", maxsplit=1)[-1].lower()
    return f"arn:aws:{module}:{REGION}:{ACCOUNT_ID}:{kind}/{name}"


def _eks_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    issuer = f"https://oidc.eks.{REGION}.amazonaws.com/id/{name.upper()}"
    return {
        "endpoint": f"https://{name.upper()}.gr7.{REGION}.eks.amazonaws.com",
        "certificateAuthority": {"data": "bW9jay1jZXJ0aWZpY2F0ZQ=="},
        "identities": [{"oidcs": [{"issuer": issuer}]}],
        "vpcConfig": {
            **inputs.get("vpcConfig", {}),
            "clusterSecurityGroupId": f"sg-{name}-cluster",
        },
    }


def _rds_instance(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    host = f"{name}.cmock.{REGION}.rds.amazonaws.com"
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:rds!{name}"
    return {
        "address": host,
        "endpoint": f"{host}:5432",
        "masterUserSecrets": [{"secretArn": secret}],
    }


def _msk_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    count = int(inputs.get("numberOfBrokerNodes", 1))
    brokers = [
        f"b-{i}.{name}.cmock.c2.kafka.{REGION}.amazonaws.com:9098" for i in range(1, count + 1)
    ]
    scram = [b.replace(":9098", ":9096") for b in brokers]
    return {
        "bootstrapBrokersSaslIam": ",".join(brokers),
        "bootstrapBrokersSaslScram": ",".join(scram),
    }


# What AWS would compute for the attributes the program reads, by type.
COMPUTED: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:elasticache/replicationGroup:ReplicationGroup": lambda name, _: {
        "primaryEndpointAddress": f"master.{name}.cmock.use1.cache.amazonaws.com",
        "readerEndpointAddress": f"replica.{name}.cmock.use1.cache.amazonaws.com",
    },
    "aws:msk/configuration:Configuration": lambda _name, _inputs: {"latestRevision": 1},
    "aws:ec2/eip:Eip": lambda name, _: {"allocationId": f"eipalloc-{name}"},
    "aws:kms/key:Key": lambda name, _: {"keyId": f"{name}-key-id"},
}


class RecordingMocks(mocks.Mocks):
    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = _unsecret(dict(args.inputs))
        if args.typ.startswith("aws:"):
            state.setdefault("name", args.name)
            state["arn"] = mock_arn(args.typ, args.name)
            computed = COMPUTED.get(args.typ)
            if computed is not None:
                state |= computed(args.name, args.inputs)
        return f"{args.name}-id", state

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == CALLER_IDENTITY:
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/mock",
                "id": ACCOUNT_ID,
                "userId": "AIDAMOCK",
            }, []  # the SDK iterates failures; None would raise
        if args.token == RANDOM_PASSWORD:
            return {"id": "mock-random-password", "randomPassword": MOCK_PASSWORD}, []
        raise NotImplementedError(f"the program should not invoke {args.token} (mocks.py)")


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    state: dict[str, Any]
    parent: str | None
    provider: str | None
    dependencies: list[str] = field(default_factory=list)


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, remembering every registration (it runs on executor threads)."""

    def __init__(self, recording: RecordingMocks) -> None:
        super().__init__(recording)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine does: the parent's full type chain, except the root stack's."""
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{get_stack()}::{get_project()}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method's name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        inputs = (
            rpc.deserialize_properties(masked(request.object))
            if request.type != "pulumi:pulumi:Stack"
            else {}
        )
        registered = self.resources.get(response.urn)
        custom = bool(request.custom)
        with self._lock:
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=custom,
                    id=registered.id if registered is not None and custom else None,
                    inputs=dict(inputs),
                    state=dict(registered.state) if registered is not None and custom else {},
                    parent=request.parent or None,
                    provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                    dependencies=sorted(set(request.dependencies)),
                )
            )
        return response
