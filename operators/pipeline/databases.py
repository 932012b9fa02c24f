"""The Job that makes each workload's database and role true in a cluster (ADR 0046): pure.

When `spec.postgres.masterSecretRef` is set, the pipeline owns one Job running
`python -m workloads.shared.database_owners` — the code path the local runner calls — with
`MASTER_DATABASE_URL` from that Secret key and one `DATABASE_URL_<WORKLOAD>` per database-owning
workload from `spec.postgres.secretRef` (the same keys the workloads read), so RDS and a local
PostgreSQL are bootstrapped alike and never by hand. It runs the services image (the image of the
first database-owning workload: one image holds every workload and the bootstrap, ADR 0032).

A Job's pod template cannot change, so the Job's name ends in a hash of its spec: a pipeline
that adds a workload or names another Secret gets a new Job, and the operator prunes the old one.
The Job is idempotent, retries on failure (`OnFailure`, backoff), and stays once complete (no
TTL: a deleted Job would be re-created and re-run by the next reconcile, which is harmless).
Workloads that start before it completes fail their start and are restarted by the kubelet.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from operators.pipeline import topology
from operators.pipeline.objects import Owner, child_name
from operators.pipeline.pods import RUN_AS, container_security_context
from operators.pipeline.spec import OrderPipelineSpec

COMPONENT = "database-owners"
MODULE = "workloads.shared.database_owners"
BACKOFF_LIMIT = 10


def wanted(spec: OrderPipelineSpec) -> bool:
    """A Job only with master credentials and at least one workload owning a database."""
    postgres = spec.postgres
    return bool(
        postgres and postgres.master_secret_ref and set(spec.workloads) & topology.DATABASE_OWNERS
    )


def _env(spec: OrderPipelineSpec) -> list[dict[str, Any]]:
    postgres = spec.postgres
    if postgres is None or postgres.master_secret_ref is None:
        raise ValueError("the database-owners Job needs postgres.masterSecretRef")
    master = postgres.master_secret_ref
    env = [
        {
            "name": "MASTER_DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": master.name, "key": master.key}},
        }
    ]
    for workload in sorted(set(spec.workloads) & topology.DATABASE_OWNERS):
        ref = {"name": postgres.secret_ref.name, "key": workload}
        env.append({"name": f"DATABASE_URL_{workload.upper()}", "valueFrom": {"secretKeyRef": ref}})
    return env


def job(owner: Owner, spec: OrderPipelineSpec) -> dict[str, Any]:
    """The bootstrap Job; call only when `wanted(spec)`."""
    first = sorted(set(spec.workloads) & topology.DATABASE_OWNERS)[0]
    image = spec.workloads[first]
    container = {
        "name": COMPONENT,
        "image": image.image,
        "imagePullPolicy": image.image_pull_policy,
        "command": ["python", "-m", MODULE],
        "env": _env(spec),
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "128Mi"},
        },
        "securityContext": container_security_context(),
    }
    body: dict[str, Any] = {
        "backoffLimit": BACKOFF_LIMIT,
        "template": {
            "spec": {
                "restartPolicy": "OnFailure",
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": RUN_AS,
                    "runAsGroup": RUN_AS,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [container],
            }
        },
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:8]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"{child_name(owner, COMPONENT)}-{digest}"},
        "spec": body,
    }
