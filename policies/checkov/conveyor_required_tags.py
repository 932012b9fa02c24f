"""CKV_CONVEYOR_1: every taggable resource carries project, environment, owner and cost-center.

Cost reports and on-call routing group by these tags; a resource without them is nobody's.
Loaded by checkov from `--external-checks-dir`; runs in `.venv-checkov`, not the project's venv,
so it reads the tags and types from policies/tagging.json by path (a missing file or key fails
the load, naming it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# The tags and the taggable Terraform types, shared with policies/tagging.py (CrossGuard): one
# file, read by path because this module cannot import the project.
_FACTS = json.loads((Path(__file__).resolve().parent.parent / "tagging.json").read_text("utf-8"))
REQUIRED_TAGS = tuple(_FACTS["required_tags"])
TAGGABLE = tuple(_FACTS["taggable_terraform_types"])


class RequiredTags(BaseResourceCheck):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            name="Conveyor: resources carry the project, environment, owner and cost-center tags",
            id="CKV_CONVEYOR_1",
            categories=[CheckCategories.CONVENTION],
            supported_resources=TAGGABLE,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        tags = (conf.get("tags") or [{}])[0]
        if not isinstance(tags, dict):
            return CheckResult.FAILED
        present = all(str(tags.get(key) or "").strip() for key in REQUIRED_TAGS)
        return CheckResult.PASSED if present else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return [f"tags/[0]/{key}" for key in REQUIRED_TAGS]


check = RequiredTags()
