"""`conveyor slo generate | check | report`: rules from observability/slos/, and their live state.

The rule files are generated, committed and compared: `check` (and the unit test
tests/unit/operators/pipeline/slos/test_drift.py) fails when a committed file differs from what
the specs generate. An invalid spec fails both with the file and the field named. `report`
reads the live state from Prometheus and writes build/slo/report.html (operators/diagnostics).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from operators.diagnostics.prometheus import PrometheusError
from operators.diagnostics.report_file import REPORT_FILE, write_report
from operators.local.stack import LocalStack
from operators.pipeline.slos.files import RULE_DIR, SloSpecError, load, rendered

app = typer.Typer(help="SLOs as code: observability/slos/ -> observability/rules/.")


def _rendered() -> dict[str, str]:
    try:
        return rendered(load())
    except SloSpecError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


@app.command()
def generate() -> None:
    """Write every rule file from the specs (unchanged files are left alone)."""
    RULE_DIR.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    for name, text in _rendered().items():
        path = RULE_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    typer.echo(f"updated: {', '.join(changed)}" if changed else "rules are up to date")


@app.command()
def check() -> None:
    """Fail when a committed rule file differs from what the specs generate."""
    stale = [
        name
        for name, text in _rendered().items()
        if not (RULE_DIR / name).exists() or (RULE_DIR / name).read_text(encoding="utf-8") != text
    ]
    for name in stale:
        typer.echo(f"observability/rules/{name} is out of date (run `conveyor slo generate`)")
    if stale:
        raise typer.Exit(1)
    typer.echo("rules: current")


@app.command()
def report(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the page.")
    ] = REPORT_FILE,
    prometheus_url: Annotated[
        str | None, typer.Option(help="Prometheus to read (default: the local stack's).")
    ] = None,
) -> None:
    """Render the live SLO state from Prometheus as one self-contained HTML page."""
    url = prometheus_url or f"http://{LocalStack().prometheus.address}"
    try:
        path = write_report(url, output)
    except (PrometheusError, SloSpecError) as exc:
        typer.echo(f"{exc}\n(is the stack up? `conveyor local up` starts it)", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"SLO report: {path}")
