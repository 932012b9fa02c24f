"""A synthesized stack graph (build/synth/<env>.json) with the lookups the checks need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Resource = dict[str, Any]


@dataclass(frozen=True)
class Graph:
    data: dict[str, Any]

    @property
    def stack(self) -> str:
        return str(self.data["stack"])

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.data["config"])

    @property
    def resources(self) -> list[Resource]:
        return list(self.data["resources"])

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.data["outputs"])

    def of_type(self, token: str) -> list[Resource]:
        return [r for r in self.resources if r["type"] == token]

    def one(self, token: str) -> Resource:
        found = self.of_type(token)
        assert len(found) == 1, f"expected one {token}, found {len(found)}"
        return found[0]

    def by_id(self, value: object) -> Resource | None:
        return next((r for r in self.resources if r["custom"] and r["id"] == value), None)

    def by_arn(self, value: object) -> Resource | None:
        return next((r for r in self.resources if r["state"].get("arn") == value), None)

    def is_kms_key(self, arn: object) -> bool:
        found = self.by_arn(arn)
        return found is not None and found["type"] == "aws:kms/key:Key"
