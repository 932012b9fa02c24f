"""`conveyor synth [--env dev] [--out build/synth]`: the stacks' resource graphs under mocks.

Each stack runs in its own Python process (`python -m conveyor_platform.synth`): the Pulumi SDK
keeps the root stack in process-global state, and separate processes also let stacks run side
by side. A bad stack config fails with the key it names (exit code 2), before any resource.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from operators.paths import BUILD_DIR, REPO_ROOT

ENVIRONMENTS = REPO_ROOT / "environments"


def stacks(directory: Path = ENVIRONMENTS) -> list[str]:
    """Every stack with a file in environments/ (`Pulumi.<stack>.yaml`)."""
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for p in directory.glob("Pulumi.*.yaml")
    )


def synth(
    env: Annotated[
        list[str] | None, typer.Option("--env", help="stack name (repeatable); default: all")
    ] = None,
    out: Annotated[Path, typer.Option(help="where <env>.json goes")] = BUILD_DIR / "synth",
) -> None:
    """Write build/synth/<env>.json: each stack's resources, inputs and parents, under mocks."""
    chosen = env or stacks()
    if not chosen:
        typer.echo(f"no Pulumi.<stack>.yaml in {ENVIRONMENTS}", err=True)
        raise typer.Exit(1)
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "conveyor_platform.synth", "--env", name, "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in chosen
    }
    failed = 0
    for name, process in running.items():
        stdout, stderr = process.communicate()
        if process.returncode == 0:
            typer.echo(stdout.strip())
        else:
            failed = failed or process.returncode
            typer.echo(f"synth {name} failed:\n{stderr.strip()}", err=True)
    if failed:
        raise typer.Exit(failed)
