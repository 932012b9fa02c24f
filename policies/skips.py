"""The list of skipped checks (`policies/skips.yaml`): each one says which check, where, and why.

One file for every checkov framework (`terraform_plan` for the synthesized graph, `kubernetes`
for rendered manifests), keyed by framework. A skip may be narrowed to resources (glob over the
resource address checkov reports) and to environments; without them it applies everywhere.
Skips are applied here, not with checkov's `--skip-check`, so that a skip that no longer matches
any failure is noticed and removed instead of hiding a future regression.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

SKIPS_FILE = Path(__file__).with_name("skips.yaml")


@dataclass(frozen=True)
class Skip:
    framework: str
    check_id: str
    reason: str
    resources: tuple[str, ...] = ("*",)
    environments: tuple[str, ...] | None = None

    def applies_in(self, environment: str | None) -> bool:
        return self.environments is None or environment in self.environments

    def matches(self, check_id: str, resource: str) -> bool:
        return check_id == self.check_id and any(fnmatchcase(resource, g) for g in self.resources)


class SkipsFileError(ValueError):
    """A skip without a reason, or a file that does not follow the format."""


def parse(raw: dict[str, Any]) -> list[Skip]:
    skips: list[Skip] = []
    for framework, entries in (raw or {}).items():
        for entry in entries or []:
            reason = str(entry.get("reason") or "").strip()
            if not entry.get("id") or not reason:
                raise SkipsFileError(f"{framework}: every skip needs an id and a reason: {entry}")
            envs = entry.get("environments")
            skips.append(
                Skip(
                    framework=framework,
                    check_id=str(entry["id"]),
                    reason=reason,
                    resources=tuple(entry.get("resources") or ("*",)),
                    environments=tuple(envs) if envs is not None else None,
                )
            )
    return skips


def load(path: Path = SKIPS_FILE) -> list[Skip]:
    return parse(yaml.safe_load(path.read_text()))
