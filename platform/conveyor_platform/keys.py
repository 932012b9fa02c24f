"""Customer-managed KMS keys, one per concern, so a key's blast radius is one kind of data.

Logs (flow logs, control-plane, broker and slow logs) share one key whose policy admits the
CloudWatch Logs service; the cluster's secrets, the database, the cache and the brokers each get
their own, and so do the nodes' root volumes (a key the EC2 Auto Scaling role may use).
Rotation is on and deletion waits the maximum 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from conveyor_platform import iam_documents
from conveyor_platform.tags import Tagging


@dataclass(frozen=True)
class KeysArgs:
    prefix: str
    region: str
    account_id: pulumi.Output[str]
    tagging: Tagging


class Keys(pulumi.ComponentResource):
    logs: aws.kms.Key
    cluster: aws.kms.Key
    database: aws.kms.Key
    cache: aws.kms.Key
    streaming: aws.kms.Key
    nodes: aws.kms.Key

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("conveyor:platform:Keys", name, None, opts)
        self._args = args
        self.logs = self._key(
            "logs", "CloudWatch Logs of the VPC, EKS, MSK and Redis", for_logs=True
        )
        self.cluster = self._key("eks", "envelope encryption of Kubernetes secrets")
        self.database = self._key("rds", "RDS storage, snapshots, master secret, PI")
        self.cache = self._key("redis", "ElastiCache at-rest encryption")
        self.streaming = self._key("msk", "MSK at-rest encryption")
        self.nodes = self._key("ebs", "EKS node root volumes", for_autoscaling=True)
        self.register_outputs({"logs": self.logs.arn, "cluster": self.cluster.arn})

    def _key(
        self,
        purpose: str,
        description: str,
        *,
        for_logs: bool = False,
        for_autoscaling: bool = False,
    ) -> aws.kms.Key:
        args = self._args
        name = f"{args.prefix}-{purpose}-key"
        key = aws.kms.Key(
            name,
            description=f"{args.prefix}: {description}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=args.account_id.apply(
                lambda account: iam_documents.key_policy(
                    account, args.region, for_logs=for_logs, for_autoscaling=for_autoscaling
                )
            ),
            tags=args.tagging.of(name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.prefix}-{purpose}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key
