"""The committed dashboard files: rendered from the code, written by one command, checked for drift.

`rendered()` is pure: the exact text of every file (JSON, keys sorted, two-space indent, final
newline), so a rerun writes identical bytes and a unit test can compare the committed files with
it. `write_all()` rewrites only what changed and removes `*.json` files no dashboard renders any
more; `drifted()` names each file that differs from the code, is missing or is left over.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from operators.dashboards import messaging, saga, services, slo_overview, storage
from operators.paths import REPO_ROOT

DASHBOARDS_DIR = REPO_ROOT / "observability" / "dashboards"
REGENERATE = "make dashboards"  # the command that brings the files back in line

DASHBOARDS: dict[str, Callable[[], model.Dashboard]] = {
    "slo-overview.json": slo_overview.dashboard,
    "services-red.json": services.dashboard,
    "saga.json": saga.dashboard,
    "messaging.json": messaging.dashboard,
    "storage.json": storage.dashboard,
}


def document(name: str) -> dict[str, Any]:
    """One dashboard as the plain JSON object Grafana reads."""
    loaded: dict[str, Any] = json.loads(JSONEncoder().encode(DASHBOARDS[name]()))
    return loaded


def rendered() -> dict[str, str]:
    """File name -> the exact text committed for it."""
    return {
        name: json.dumps(document(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name in DASHBOARDS
    }


def write_all(directory: Path = DASHBOARDS_DIR) -> list[str]:
    """Write every dashboard whose file differs; delete stale ones. Returns the changed names."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in rendered().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for stale in sorted(set(_committed(directory)) - set(DASHBOARDS)):
        (directory / stale).unlink()
        changed.append(stale)
    return changed


def drifted(directory: Path = DASHBOARDS_DIR) -> list[str]:
    """One line per file that is out of date, missing or no longer rendered."""
    problems = []
    committed = _committed(directory)
    for name, text in rendered().items():
        if name not in committed:
            problems.append(f"{name} is missing (run `{REGENERATE}`)")
        elif committed[name] != text:
            problems.append(f"{name} differs from the code (run `{REGENERATE}`)")
    problems += [
        f"{name} is not rendered by any dashboard (run `{REGENERATE}` to remove it)"
        for name in sorted(set(committed) - set(DASHBOARDS))
    ]
    return problems


def _committed(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.json"))}
