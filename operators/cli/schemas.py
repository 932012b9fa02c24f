"""`conveyor schemas write | check`: the JSON Schema files rendered from the message models."""

from __future__ import annotations

import typer

from workloads.contracts.compatibility import breaking_changes
from workloads.contracts.registry import MESSAGES
from workloads.contracts.schemas import SCHEMA_DIR, render, rendered_files, write_all

app = typer.Typer(help="Versioned message schemas (workloads/contracts/schemas).")


@app.command()
def write() -> None:
    """Render every schema file from the models."""
    changed = write_all()
    typer.echo(f"updated: {', '.join(changed)}" if changed else "schemas are up to date")


@app.command()
def check() -> None:
    """Fail when files drift from the models or a new version breaks an old consumer."""
    problems = [
        f"{name} is out of date (run `conveyor schemas write`)"
        for name, text in rendered_files().items()
        if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text() != text
    ]
    for spec in MESSAGES.values():
        for old, new in zip(spec.versions, spec.versions[1:], strict=False):
            problems += [
                f"{spec.message_type} v{old.version} -> v{new.version}: {p}"
                for p in breaking_changes(render(old), render(new))
            ]
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("schemas: current and compatible")
