"""`make test` as two shards run side by side, each against a local stack of its own (ADR 0052).

Most of the suite waits: on a saga, a consumer group, a broker coming back. One stack can serve
only one such test at a time (tests kill its services and its broker), so the suite runs in two
pytest processes, each with its own servers and services:

- shard `a`: unit, integration and the e2e folders other than workloads/ and operators/, against
  the default stack (`make up`, with the Kubernetes API server `make kube-up` starts);
- shard `b`: tests/e2e/workloads/ and tests/e2e/operators/, against a second stack whose every
  port is the default plus `OFFSET` (kept below Linux's ephemeral range, 32768), whose state lives
  in `.local-b/` and whose pipeline is operators/examples/local.yaml with those ports. It is
  started before its tests and stopped after them. Then the node tests (marker `node`, what
  `make test-cluster` runs: the image builds, the one-node cluster, the operator and the saga in
  pods, ADR 0032) run against that stack's servers alone: its workload processes are stopped
  first, because the pods consume the same topics under the same consumer group names and would
  split each group's partitions with them (ADR 0052). The cluster is taken down at the end.

Both shards end with the history audit (tests/e2e/workloads/test_history.py), each over its own
stack's topics. Every output line is prefixed with its shard; the exit status is 0 only when both
shards passed, so a failure in either fails `make test`. Arguments are passed to both pytest runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loadtests.load.runner import RunnerSettings
from operators.local.settings import LocalStackSettings
from operators.paths import REPO_ROOT

OFFSET = 10_000
STATE_B = REPO_ROOT / ".local-b"
HISTORY = "tests/e2e/workloads/test_history.py"
SHARD_B = ("tests/e2e/workloads", "tests/e2e/operators")
SHARD_A = (
    "tests/unit",
    "tests/integration",
    *(
        f"tests/e2e/{folder.name}"
        for folder in sorted((REPO_ROOT / "tests" / "e2e").iterdir())
        if folder.is_dir() and (folder / "__init__.py").exists()
        and f"tests/e2e/{folder.name}" not in SHARD_B
    ),
    HISTORY,
)  # fmt: skip
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Shard:
    name: str
    steps: tuple[tuple[str, ...], ...]  # run in order; the first that fails ends the shard
    env: dict[str, str]
    last: tuple[tuple[str, ...], ...] = ()  # always run at the end, all of them (stopping)


def second_stack_env(defaults: LocalStackSettings, state_dir: Path) -> dict[str, str]:
    """CONVEYOR_* settings of the second stack: every port moved by OFFSET, its own state, its
    own pipeline file (written by `write_pipeline`) and chaos subnet."""
    env = {
        f"CONVEYOR_{name.upper()}": str(value + OFFSET)
        for name, value in defaults.model_dump().items()
        if name.endswith("_port")
    }
    octet = int(defaults.chaos_subnet.split(".")[1]) + 1
    return env | {
        "CONVEYOR_STATE_DIR": str(state_dir),
        "CONVEYOR_PIPELINE": str(state_dir / "pipeline.yaml"),
        "CONVEYOR_CHAOS_SUBNET": f"10.{octet}.0.0/24",
        "CONVEYOR_LOCUST_MASTER_PORT": str(RunnerSettings().locust_master_port + OFFSET),
    }


def write_pipeline(source: Path, target: Path, kafka_port: int) -> None:
    """The default pipeline with each workload's port moved by OFFSET and Kafka's address."""
    document: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    for workload in document["spec"]["workloads"].values():
        workload["port"] += OFFSET
    host = document["spec"]["kafka"]["bootstrapServers"].rsplit(":", 1)[0]
    document["spec"]["kafka"]["bootstrapServers"] = f"{host}:{kafka_port}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def shards(args: list[str]) -> list[Shard]:
    defaults = LocalStackSettings()
    env_b = second_stack_env(defaults, STATE_B)
    pytest = (str(BIN / "pytest"), *args)
    conveyor = str(BIN / "conveyor")
    b_cache = ("-o", "cache_dir=.pytest_cache/b")
    return [
        Shard("a", ((*pytest, "-m", "not node", *SHARD_A),), {}),
        Shard(
            "b",
            (
                (conveyor, "local", "up"),
                (*pytest, "-m", "not node", *b_cache, *SHARD_B),
                (conveyor, "local", "down"),  # the node tests start the servers they need
                (*pytest, "-m", "node", *b_cache),  # every path: `make test-cluster`'s set
            ),
            env_b,
            # The node's pods first (drained while their servers still answer), then the stack.
            last=((conveyor, "cluster", "down"), (conveyor, "local", "down")),
        ),
    ]


def _run(shard: Shard, statuses: dict[str, int], lock: threading.Lock) -> None:
    env = {**os.environ, **shard.env}

    def run(command: tuple[str, ...]) -> int:
        with lock:
            print(f"{shard.name} │ $ {' '.join(command)}", flush=True)
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        assert process.stdout is not None
        for line in process.stdout:
            with lock:
                print(f"{shard.name} │ {line}", end="", flush=True)
        return process.wait()

    status = 0
    try:
        for command in shard.steps:
            status = run(command)
            if status != 0:
                break
    finally:
        for command in shard.last:
            if run(command) != 0 and status == 0:
                status = 1
        statuses[shard.name] = status


def main(args: list[str]) -> int:
    planned = shards(args)
    write_pipeline(
        LocalStackSettings().pipeline,
        STATE_B / "pipeline.yaml",
        int(planned[1].env["CONVEYOR_KAFKA_PORT"]),
    )
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    threads = [threading.Thread(target=_run, args=(s, statuses, lock)) for s in planned]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for shard in planned:
        verdict = "passed" if statuses.get(shard.name) == 0 else "FAILED"
        print(f"shard {shard.name}: {verdict} (exit {statuses.get(shard.name)})", flush=True)
    return 0 if all(statuses.get(s.name) == 0 for s in planned) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
