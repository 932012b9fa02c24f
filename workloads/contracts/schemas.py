"""Render and read the JSON Schema files: `schemas/<MessageType>.v<N>.json`, one per version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workloads.contracts.events import Payload
from workloads.contracts.registry import MESSAGES

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def file_name(message_type: str, version: int) -> str:
    return f"{message_type}.v{version}.json"


def render(model: type[Payload]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["title"] = f"{model.message_type} v{model.version}"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"conveyor:{file_name(model.message_type, model.version)}",
        **schema,
    }


def rendered_files() -> dict[str, str]:
    """File name -> exact text, for every version of every message type."""
    return {
        file_name(model.message_type, model.version): json.dumps(render(model), indent=2) + "\n"
        for spec in MESSAGES.values()
        for model in spec.versions
    }


def write_all(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema file; returns the names that changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in rendered_files().items():
        path = directory / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(name)
    return changed


def load(message_type: str, version: int, directory: Path = SCHEMA_DIR) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / file_name(message_type, version)).read_text())
    return data
