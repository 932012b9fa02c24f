"""The pipeline's feature flags as the pods read them: one flagd file in one ConfigMap. Pure.

`spec.flags` becomes `<pipeline>-flags` (key `flags.json`), mounted read-only into every pod at
FLAGS_DIR; each workload is told the file's path in CONVEYOR_FLAGS_FILE. The ConfigMap is not
part of a workload's config hash, on purpose: a flag change must not roll the pods. The kubelet
swaps the mounted file (within its sync period, about a minute) and each process's flagd provider
picks the new flags up while it runs. The local runner writes the same document to its state
folder (operators/local/flags_file.py).
"""

from __future__ import annotations

from typing import Any

from operators.pipeline.objects import Owner, child_name
from operators.pipeline.spec import OrderPipelineSpec
from workloads.shared.flags.document import FlagsDocument

COMPONENT = "flags"
FLAGS_KEY = "flags.json"
FLAGS_DIR = "/etc/conveyor/flags"
FLAGS_ENV = "CONVEYOR_FLAGS_FILE"
FLAGS_PATH = f"{FLAGS_DIR}/{FLAGS_KEY}"


def document(spec: OrderPipelineSpec) -> FlagsDocument:
    return FlagsDocument(flags=dict(spec.flags))


def config_map(owner: Owner, spec: OrderPipelineSpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": child_name(owner, COMPONENT)},
        "data": {FLAGS_KEY: document(spec).to_json()},
    }


def volume(owner: Owner) -> dict[str, Any]:
    return {"name": COMPONENT, "configMap": {"name": child_name(owner, COMPONENT)}}


def volume_mount() -> dict[str, Any]:
    return {"name": COMPONENT, "mountPath": FLAGS_DIR, "readOnly": True}
