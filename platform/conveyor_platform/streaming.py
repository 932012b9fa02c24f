"""MSK: brokers across the zones, TLS everywhere, SCRAM and IAM client auth, KMS at rest, logs.

Clients authenticate with SASL/SCRAM (port 9096): the services use aiokafka, which has no MSK-IAM
signer, so their credential is a SCRAM secret in Secrets Manager (`AmazonMSK_` name, on the MSK
key, as MSK requires; see credentials.py) that External Secrets copies into the pipeline's
namespace. IAM auth (9098) stays on for tools and roles that have a signer.

The cluster configuration carries the workloads' topic defaults: topics are declared (never
auto-created), and `min.insync.replicas` / `default.replication.factor` come from the stack
config (2 / 3 in prod, so one broker can be down without stopping producers that use acks=all).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from conveyor_platform import credentials, iam_documents
from conveyor_platform.config import Streaming as StreamingConfig
from conveyor_platform.firewall import cluster_only_security_group
from conveyor_platform.tags import Tagging

KAFKA_IAM_PORT = 9098
KAFKA_SCRAM_PORT = 9096
# MSK only associates secrets whose name starts with this.
SCRAM_SECRET_PREFIX = "AmazonMSK_"  # noqa: S105 - a name prefix
JMX_EXPORTER_PORT = 11001
NODE_EXPORTER_PORT = 11002
DEFAULT_PARTITIONS = 6


def server_properties(config: StreamingConfig) -> str:
    """The broker defaults, one `key=value` per line (sorted, so the diff is stable)."""
    properties = {
        "auto.create.topics.enable": "false",
        "default.replication.factor": str(config.default_replication_factor),
        "min.insync.replicas": str(config.min_insync_replicas),
        "num.partitions": str(DEFAULT_PARTITIONS),
        "unclean.leader.election.enable": "false",
        "delete.topic.enable": "true",
    }
    return "".join(f"{key}={value}\n" for key, value in sorted(properties.items()))


@dataclass(frozen=True)
class StreamingArgs:
    prefix: str
    config: StreamingConfig
    tagging: Tagging
    vpc_id: pulumi.Input[str]
    isolated_subnet_ids: list[pulumi.Output[str]]
    cluster_security_group_id: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]


class Streaming(pulumi.ComponentResource):
    cluster: aws.msk.Cluster
    bootstrap_brokers: pulumi.Output[str]
    iam_bootstrap_brokers: pulumi.Output[str]
    client_username: str
    client_secret: aws.secretsmanager.Secret

    def __init__(self, name: str, args: StreamingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("conveyor:platform:Streaming", name, None, opts)
        config, prefix, tag = args.config, args.prefix, args.tagging.of
        child = pulumi.ResourceOptions(parent=self)

        security_group = cluster_only_security_group(
            f"{prefix}-msk-sg",
            vpc_id=args.vpc_id,
            cluster_security_group_id=args.cluster_security_group_id,
            ports=[
                (KAFKA_SCRAM_PORT, "Kafka (TLS, SASL/SCRAM) from the cluster"),
                (KAFKA_IAM_PORT, "Kafka (TLS, IAM auth) from the cluster"),
                (JMX_EXPORTER_PORT, "Prometheus JMX exporter from the cluster"),
                (NODE_EXPORTER_PORT, "Prometheus node exporter from the cluster"),
            ],
            role="streaming",
            tagging=args.tagging,
            parent=self,
        )
        configuration = aws.msk.Configuration(
            f"{prefix}-msk-config",
            name=f"{prefix}-msk",
            kafka_versions=[config.kafka_version],
            server_properties=server_properties(config),
            description=f"{prefix}: topic defaults of the Conveyor workloads",
            opts=child,
        )
        broker_logs = aws.cloudwatch.LogGroup(
            f"{prefix}-msk-logs",
            name=f"/conveyor/{args.tagging.environment}/msk/brokers",
            retention_in_days=config.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=tag(f"{prefix}-msk-logs"),
            opts=child,
        )
        self.cluster = aws.msk.Cluster(
            f"{prefix}-msk",
            cluster_name=f"{prefix}-msk",
            kafka_version=config.kafka_version,
            number_of_broker_nodes=config.broker_count,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                instance_type=config.instance_type,
                client_subnets=args.isolated_subnet_ids,
                security_groups=[security_group.id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=config.volume_size_gib
                    )
                ),
                connectivity_info=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
                    public_access=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoPublicAccessArgs(
                        type="DISABLED"
                    )
                ),
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam=True, scram=True),
                unauthenticated=False,
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=args.key_arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=configuration.arn, revision=configuration.latest_revision
            ),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True, log_group=broker_logs.name
                    )
                )
            ),
            open_monitoring=aws.msk.ClusterOpenMonitoringArgs(
                prometheus=aws.msk.ClusterOpenMonitoringPrometheusArgs(
                    jmx_exporter=aws.msk.ClusterOpenMonitoringPrometheusJmxExporterArgs(
                        enabled_in_broker=True
                    ),
                    node_exporter=aws.msk.ClusterOpenMonitoringPrometheusNodeExporterArgs(
                        enabled_in_broker=True
                    ),
                )
            ),
            enhanced_monitoring="PER_BROKER",
            tags=tag(f"{prefix}-msk"),
            opts=child,
        )
        # The workloads' SCRAM user; MSK reads the secret, so it may (and only for this secret).
        self.client_username = f"{prefix}-app"
        credential = credentials.generated(
            f"{prefix}-kafka-credential",
            secret_name=f"{SCRAM_SECRET_PREFIX}{prefix}-app",
            username=self.client_username,
            description=f"{prefix}: SASL/SCRAM user of the workloads on MSK",
            key_arn=args.key_arn,
            tagging=args.tagging,
            parent=self,
        )
        self.client_secret = credential.secret
        aws.secretsmanager.SecretPolicy(
            f"{prefix}-kafka-credential-policy",
            secret_arn=credential.secret.arn,
            policy=credential.secret.arn.apply(msk_reads_secret),
            opts=child,
        )
        aws.msk.ScramSecretAssociation(
            f"{prefix}-msk-scram",
            cluster_arn=self.cluster.arn,
            secret_arn_lists=[credential.secret.arn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[credential.version]),
        )
        self.bootstrap_brokers = self.cluster.bootstrap_brokers_sasl_scram
        self.iam_bootstrap_brokers = self.cluster.bootstrap_brokers_sasl_iam
        self.register_outputs({"bootstrapBrokers": self.bootstrap_brokers})


def msk_reads_secret(secret_arn: str) -> str:
    """The secret's resource policy: MSK may read this one secret (its SCRAM users)."""
    return iam_documents.document(
        {
            "Sid": "AWSKafkaResourcePolicy",
            "Effect": "Allow",
            "Principal": {"Service": "kafka.amazonaws.com"},
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn,
        }
    )
