"""Tags on every taggable AWS resource, from one helper.

The provider's `default_tags` tag resources in a real deployment, but the mocks (and so the
synthesized graph that policy and cost read) only see explicit inputs. Every component therefore
passes `tagging.of(name)` explicitly; tests assert the four required keys on every resource whose
type accepts tags.
"""

from __future__ import annotations

from dataclasses import dataclass

from conveyor_platform.config import PROJECT, StackConfig

REQUIRED_TAG_KEYS = ("project", "environment", "owner", "cost-center")


@dataclass(frozen=True)
class Tagging:
    project: str
    environment: str
    owner: str
    cost_center: str

    @classmethod
    def of_stack(cls, config: StackConfig) -> Tagging:
        return cls(PROJECT, config.stack, config.tags.owner, config.tags.cost_center)

    @property
    def required(self) -> dict[str, str]:
        return {
            "project": self.project,
            "environment": self.environment,
            "owner": self.owner,
            "cost-center": self.cost_center,
        }

    def of(self, name: str, **extra: str) -> dict[str, str]:
        """The tags of one resource: the required ones, its `Name`, and any extra (e.g. k8s)."""
        return {**self.required, "Name": name, **extra}
