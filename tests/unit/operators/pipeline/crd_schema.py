"""The CRD's openAPIV3Schema as plain JSON Schema, and the API server's defaulting, for tests.

jsonschema knows nothing of Kubernetes' extensions: `x-kubernetes-int-or-string` becomes an
integer-or-string `anyOf`, the other `x-kubernetes-*` keys (CEL rules, list types) are dropped.
CEL rules are checked by the pydantic model here and by the real API server in the integration
tests. `apply_defaults` mimics the server's structural defaulting, so the model's defaults can be
compared with the CRD's.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from operators.paths import REPO_ROOT

REPO = REPO_ROOT
CRD_PATH = REPO / "operators" / "crds" / "orderpipelines.conveyor.dev.yaml"
EXAMPLES = REPO / "operators" / "examples"


def crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CRD_PATH.read_text(encoding="utf-8"))
    return loaded


def openapi_schema() -> dict[str, Any]:
    schema: dict[str, Any] = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def as_json_schema(node: Any) -> Any:
    """Strip Kubernetes-only keys, recursively; int-or-string becomes an explicit anyOf."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: as_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if node.get("x-kubernetes-int-or-string"):
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    closed = "additionalProperties" not in node and not node.get(
        "x-kubernetes-preserve-unknown-fields"
    )
    if node.get("type") == "object" and "properties" in node and closed:
        # Structural pruning drops unknown fields; refusing them here keeps examples honest.
        out["additionalProperties"] = False
    out.pop("format", None)
    return out


def apply_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """Structural defaulting as the API server does it: fill absent properties, then recurse."""
    if not isinstance(value, dict):
        return value
    result = copy.deepcopy(value)
    for name, sub in schema.get("properties", {}).items():
        if name not in result and "default" in sub:
            result[name] = copy.deepcopy(sub["default"])
        if name in result:
            result[name] = apply_defaults(result[name], sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for name in list(result):
            if name not in schema.get("properties", {}):
                result[name] = apply_defaults(result[name], extra)
    return result


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text("utf-8"))
    return loaded
