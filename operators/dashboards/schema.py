"""Grafana's dashboard JSON Schema, generated from the pinned `@grafana/schema` npm package.

Grafana publishes its dashboard model as TypeScript types, not as a JSON Schema, so
`observability/schema/` pins `@grafana/schema` and `ts-json-schema-generator` in a committed
package-lock.json, and this module turns the `Dashboard` type of
`dist/types/raw/dashboard/x/types.gen.d.ts` into a JSON Schema (`--no-type-check --expose export`).
npm installs with `npm ci` from that lock into `~/.cache/conveyor/grafana-schema/<version>-<lock
hash>`, never into the repository; the schema is generated once per lock and reused. Both steps
write into a temporary directory renamed into place, so an interrupted run leaves nothing half
made. A missing npm, a failed install or a failed generation raises `SchemaToolError` with the
tool's own output and the command that fixes it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from operators.paths import REPO_ROOT

TOOL_DIR = REPO_ROOT / "observability" / "schema"
CACHE_ROOT = Path.home() / ".cache" / "conveyor" / "grafana-schema"
TYPES = "node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts"
GENERATOR = "node_modules/ts-json-schema-generator/bin/ts-json-schema-generator.js"
SCHEMA_FILE = "dashboard.schema.json"
NPM_CI = ("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
TIMEOUT_S = 600
RETRY = ".venv/bin/conveyor dashboards schema"
SHOWN_LINES = 10  # of a failed tool's output


class SchemaToolError(RuntimeError):
    """The schema could not be made; the message says why and what to run."""


def pinned_version(tool_dir: Path = TOOL_DIR) -> str:
    """The `@grafana/schema` version package.json pins (exactly, never a range)."""
    package = json.loads((tool_dir / "package.json").read_text(encoding="utf-8"))
    version = str(package["devDependencies"]["@grafana/schema"])
    if not version[:1].isdigit():
        raise SchemaToolError(f"{tool_dir / 'package.json'}: pin @grafana/schema exactly")
    return version


def cache_dir(*, tool_dir: Path = TOOL_DIR, cache_root: Path = CACHE_ROOT) -> Path:
    """Where this lock's install and schema live: a new lock gets a new directory."""
    lock = (tool_dir / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock).hexdigest()[:12]
    return cache_root / f"{pinned_version(tool_dir)}-{digest}"


def dashboard_schema(*, tool_dir: Path = TOOL_DIR, cache_root: Path = CACHE_ROOT) -> dict[str, Any]:
    """The dashboard JSON Schema, generated on first use; raises `SchemaToolError`."""
    target = cache_dir(tool_dir=tool_dir, cache_root=cache_root)
    schema_path = target / SCHEMA_FILE
    if not schema_path.exists():
        _install(tool_dir, target)
        _generate(target)
    loaded: dict[str, Any] = json.loads(schema_path.read_text(encoding="utf-8"))
    return loaded


def _install(tool_dir: Path, target: Path) -> None:
    if (target / TYPES).exists() and (target / GENERATOR).exists():
        return
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise SchemaToolError(
            "node and npm are needed to generate Grafana's dashboard schema; "
            f"on Debian/Ubuntu: sudo apt-get install -y nodejs npm, then run `{RETRY}`"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(tool_dir / name, staging / name)
        _run(list(NPM_CI), cwd=staging, what="npm ci")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _generate(target: Path) -> None:
    partial = target / f"{SCHEMA_FILE}.partial"
    command = [
        "node",
        GENERATOR,
        "--path",
        TYPES,
        "--type",
        "Dashboard",
        "--no-type-check",
        "--expose",
        "export",
        "--out",
        partial.name,
    ]
    _run(command, cwd=target, what="ts-json-schema-generator")
    partial.replace(target / SCHEMA_FILE)


def _run(command: list[str], *, cwd: Path, what: str) -> None:
    try:
        result = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as timeout:
        raise SchemaToolError(
            f"{what} took over {TIMEOUT_S} s in {cwd}; run `{RETRY}` again"
        ) from timeout
    if result.returncode != 0:
        lines = (result.stderr + result.stdout).strip().splitlines()
        # npm states the cause first and then prints its usage: keep the head and the last line.
        shown = lines if len(lines) <= SHOWN_LINES else [*lines[:SHOWN_LINES], "…", lines[-1]]
        raise SchemaToolError(
            f"{what} failed (exit {result.returncode}) in {cwd}:\n"
            + "\n".join(shown)
            + f"\nfix the cause above, then run `{RETRY}` (it runs `{' '.join(command)}`;"
            + " the first run needs the npm registry)"
        )
