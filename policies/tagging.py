"""The tags every taggable resource must carry, and which Terraform types take tags.

The facts live in `tagging.json` next to this module, the one source for both readers: this
module (the CrossGuard pack) and the checkov check `checkov/conveyor_required_tags.py`, which runs
in checkov's own environment, cannot import this package and reads the file by its own path. A
missing or malformed file fails at import, naming the file, in both.
"""

from __future__ import annotations

import json
from pathlib import Path

TAGGING_FILE = Path(__file__).with_name("tagging.json")


class TaggingFileError(ValueError):
    """tagging.json lacks a list it must hold."""


def _strings(document: dict[str, object], key: str) -> tuple[str, ...]:
    value = document.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise TaggingFileError(f"{TAGGING_FILE}: `{key}` must be a non-empty list of strings")
    return tuple(value)


_DOCUMENT = json.loads(TAGGING_FILE.read_text(encoding="utf-8"))
REQUIRED_TAGS = _strings(_DOCUMENT, "required_tags")
TAGGABLE_TF_TYPES = frozenset(_strings(_DOCUMENT, "taggable_terraform_types"))


def missing_tags(tags: object) -> list[str]:
    """The required tags absent or blank in `tags` (a Pulumi `tags` input)."""
    present = tags if isinstance(tags, dict) else {}
    return [key for key in REQUIRED_TAGS if not str(present.get(key) or "").strip()]
