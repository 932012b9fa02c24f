"""operators/examples/node.yaml made ready for this checkout's node, for the node tests and the node
benchmark: the manifest items (five Secrets and the pipeline) to apply into a namespace.

The example is changed only where a checkout differs: Kafka's, Redis's and the fake card provider's
node addresses and ports, the node's pod network, and every workload's image — the services image
`conveyor images build` recorded, by digest. `lag_scaled_notification` makes notification scale on
Kafka lag (bounds 1..2, no cool-down) so a test or a benchmark can see a pod come and go by lag.

The Secrets hold URLs at the node address (the relays of `cluster up`): one DATABASE_URL per
database owner for roles `node_<workload>` (nothing but the pipeline's database-owners Job creates
them), the master URL the Job uses, Redis's URL, the admin token and identity's signing-key
passphrase (a secret of this checkout's own, not the local stack's, so keys the pods store are
theirs). `drop_pod_databases` removes those databases and roles, so only a new Job can have made
them. Failures are the callees' own (`KeyError` when no services image was recorded, asyncpg
errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import yaml

from operators.local.images.build import BuiltImage
from operators.local.node.settings import NodeSettings
from operators.local.secrets import read_or_create
from operators.local.servers.postgres import ADMIN_ROLE
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from operators.pipeline import topology

EXAMPLE = REPO_ROOT / "operators" / "examples" / "node.yaml"
PIPELINE = "conveyor"
DB_PREFIX = "node_"
SECRETS = (
    "conveyor-postgres",
    "conveyor-postgres-master",
    "conveyor-redis",
    "conveyor-admin",
    "conveyor-identity",
)


@dataclass(frozen=True)
class NodeExample:
    stack: LocalStack
    node: NodeSettings
    services: BuiltImage

    def node_dsn(self, workload: str, *, host: str) -> str:
        postgres = self.stack.postgres
        password = read_or_create(self.stack.settings.secrets_dir / "postgres-node-pods")
        name = f"{DB_PREFIX}{workload}"
        return f"postgresql://{name}:{password}@{host}:{postgres.port}/{name}"

    def pipeline(self, namespace: str, *, lag_threshold: int | None = None) -> dict[str, Any]:
        """The example in `namespace`; notification scales on lag when a threshold is given."""
        node_ip, settings = self.node.node_ip, self.stack.settings
        pipeline: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
        pipeline["metadata"]["namespace"] = namespace
        spec = pipeline["spec"]
        spec["kafka"]["bootstrapServers"] = f"{node_ip}:{settings.kafka_node_port}"
        spec["redis"]["port"] = settings.redis_port
        spec["network"]["podCIDRs"] = [self.node.node_subnet]
        for workload in spec["workloads"].values():
            workload["image"] = self.services.pinned
        provider = f"http://{node_ip}:{settings.payment_provider_port}"
        spec["workloads"]["payment"]["env"]["PAYMENT_PROVIDER_URL"] = provider
        if lag_threshold is not None:
            notification = spec["workloads"]["notification"]
            del notification["replicas"]  # exclusive with autoscaling
            notification["autoscaling"] = {
                "minReplicas": 1,
                "maxReplicas": 2,
                "metric": "kafkaLag",
                "lagThreshold": lag_threshold,
                "cooldownSeconds": 0,
            }
        return pipeline

    def secrets(self, namespace: str) -> list[dict[str, Any]]:
        node_ip, postgres, redis = self.node.node_ip, self.stack.postgres, self.stack.redis
        workloads = yaml.safe_load(EXAMPLE.read_text())["spec"]["workloads"]
        owners = sorted(set(workloads) & topology.DATABASE_OWNERS)
        secrets = self.stack.settings.secrets_dir
        master = f"postgresql://{ADMIN_ROLE}:{postgres.admin_password()}@{node_ip}:{postgres.port}"
        data = dict(
            zip(
                SECRETS,
                (
                    {w: self.node_dsn(w, host=node_ip) for w in owners},
                    {"url": f"{master}/postgres"},
                    {"url": f"redis://:{redis.password()}@{node_ip}:{redis.port}/0"},
                    {"token": self.stack.admin_token()},
                    {"signing-key-passphrase": read_or_create(secrets / "node-signing-key")},
                ),
                strict=True,
            )
        )
        return [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace},
                "stringData": values,
            }
            for name, values in data.items()
        ]

    def manifest(self, namespace: str, *, lag_threshold: int | None = None) -> dict[str, Any]:
        """A `List` of the Secrets and the pipeline, for one `kubectl apply`."""
        items = [*self.secrets(namespace), self.pipeline(namespace, lag_threshold=lag_threshold)]
        return {"apiVersion": "v1", "kind": "List", "items": items}

    async def drop_pod_databases(self) -> None:
        conn = await asyncpg.connect(self.stack.postgres.admin_dsn())
        try:
            for workload in sorted(topology.DATABASE_OWNERS):
                name = f"{DB_PREFIX}{workload}"
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                await conn.execute(f"DROP ROLE IF EXISTS {name}")
        finally:
            await conn.close()
