"""Run one stack's program under mocks and write its resource graph (build/synth/<env>.json).

Validation comes first: a bad stack config raises `ConfigError` naming the key before the
mocks are even installed, so no resource is declared. The graph is written with sorted keys
and resources sorted by URN, so two runs produce identical bytes. One stack per process: the
SDK keeps its root stack in process-global state (`python -m conveyor_platform.synth --env dev`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from conveyor_platform import config as stack_config
from conveyor_platform import program
from conveyor_platform.mocks import RecordingMocks, RecordingMonitor, Registration
from conveyor_platform.paths import BUILD_DIR, ENVIRONMENTS_DIR

FORMAT = 1
DEFAULT_OUT = BUILD_DIR / "synth"


def _plain(value: Any) -> Any:
    """JSON-ready: protobuf numbers come back as floats; integral ones are ints again."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _config_section(values: Mapping[str, Any]) -> dict[str, Any]:
    prefix = f"{stack_config.PROJECT}:"
    return {k.removeprefix(prefix): _plain(v) for k, v in sorted(values.items())}


def _resource(r: Registration) -> dict[str, Any]:
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "custom": r.custom,
        "id": r.id,
        "inputs": _plain(r.inputs),
        "state": _plain(r.state),
        "parent": r.parent,
        "provider": r.provider,
        "dependencies": r.dependencies,
    }


def synthesize(stack: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The resource graph of `stack` with config `values` (keys as in the stack YAML)."""
    stack_config.parse(stack, values)  # fail before the mocks exist, naming the key
    recording = RecordingMocks()
    monitor = RecordingMonitor(recording)
    pulumi.runtime.set_all_config(stack_config.as_pulumi_config(values))
    pulumi.runtime.set_mocks(
        recording, project=stack_config.PROJECT, stack=stack, preview=False, monitor=monitor
    )
    resolved: dict[str, Any] = {}

    def run() -> None:
        cfg = stack_config.from_pulumi_runtime(pulumi.get_stack())
        outputs = pulumi.Output.from_input(program.build(cfg))
        value: dict[str, Any] | None = _sync_await(outputs.future())
        resolved.update(value or {})

    _sync_await(run_pulumi_func(run))
    return {
        "format": FORMAT,
        "project": stack_config.PROJECT,
        "stack": stack,
        "config": _config_section(values),
        "resources": [_resource(r) for r in sorted(monitor.registrations, key=lambda r: r.urn)],
        "outputs": _plain(resolved),
    }


def render(graph: Mapping[str, Any]) -> str:
    return json.dumps(graph, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--environments", type=Path, default=ENVIRONMENTS_DIR)
    options = parser.parse_args(argv)
    try:
        values = stack_config.read_stack_file(options.env, options.environments)
        graph = synthesize(options.env, values)
    except stack_config.ConfigError as exc:
        print(f"invalid stack config for {options.env}: {exc}", file=sys.stderr)
        return 2
    options.out.mkdir(parents=True, exist_ok=True)
    target = options.out / f"{options.env}.json"
    target.write_text(render(graph), encoding="utf-8")
    print(f"{target}: {len(graph['resources'])} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
