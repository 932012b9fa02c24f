"""`conveyor dashboards generate | check | schema`: the Grafana dashboards committed as JSON."""

from __future__ import annotations

import typer

from operators.dashboards import files, schema

app = typer.Typer(help="Grafana dashboards as code (observability/dashboards).")


@app.command()
def generate() -> None:
    """Render every dashboard from the code into observability/dashboards/."""
    changed = files.write_all()
    typer.echo(f"updated: {', '.join(changed)}" if changed else "dashboards are up to date")


@app.command()
def check() -> None:
    """Fail when a committed dashboard differs from what the code renders."""
    problems = files.drifted()
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"dashboards: {len(files.DASHBOARDS)} files match the code")


@app.command(name="schema")
def schema_command() -> None:
    """Install the pinned @grafana/schema (npm ci) and generate its dashboard JSON Schema."""
    try:
        schema.dashboard_schema()
    except schema.SchemaToolError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(str(schema.cache_dir() / schema.SCHEMA_FILE))
