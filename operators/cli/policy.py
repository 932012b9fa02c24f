"""`conveyor policy --env <env>`: checkov and CrossGuard over a stack's synthesized graph.

Reads build/synth/<env>.json (`conveyor synth`), writes the Terraform plan JSON checkov scans to
build/policy/<env>/plan.json, and prints what passed, failed and was skipped (with the reason
from policies/skips.yaml). Exits 1 on a failed check not in the skips, a stale skip, or a
CrossGuard violation; 2 when an input is missing (with the command that makes it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from policies.checkov_runner import CheckovMissingError, CheckovRunError, ScanResult, scan
from policies.crossguard.from_synth import Violation, evaluate
from policies.synth_graph import load
from policies.terraform_plan import not_translated, translate
from policies.terraform_types import UnmappedTypeError
from policies.terraform_types import load as load_types

ROOT = Path(__file__).resolve().parents[2]


def _table(result: ScanResult, violations: list[Violation]) -> Table:
    table = Table(title=f"policy: {result.environment}", show_lines=False)
    for column in ("result", "check", "resource", "why"):
        table.add_column(column, overflow="fold")
    for f in result.failed:
        table.add_row("[red]FAILED[/red]", f.check_id, f.resource, f.name)
    for v in violations:
        table.add_row("[red]FAILED[/red]", f"crossguard:{v.policy}", v.urn or "", v.message)
    for s in result.stale_skips:
        table.add_row("[yellow]STALE SKIP[/yellow]", s.check_id, ",".join(s.resources), s.reason)
    for f, skip in result.skipped:
        table.add_row("skipped", f.check_id, f.resource, skip.reason)
    return table


def policy(
    env: Annotated[str, typer.Option("--env", help="stack name (dev, staging, prod)")],
    synth_dir: Annotated[Path, typer.Option(help="where <env>.json is")] = ROOT / "build" / "synth",
    out: Annotated[Path, typer.Option(help="where <env>/plan.json goes")] = ROOT
    / "build"
    / "policy",
) -> None:
    """Run checkov (built-in + Conveyor's checks) and CrossGuard over build/synth/<env>.json."""
    console = Console()
    source = synth_dir / f"{env}.json"
    if not source.exists():
        console.print(f"{source} is missing: run `conveyor synth --env {env}` (or `make synth`)")
        raise typer.Exit(2)
    graph = load(source)
    try:
        plan = translate(graph, load_types())
    except UnmappedTypeError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    plan_file = out / env / "plan.json"
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    plan_file.write_text(json.dumps(plan, indent=1, sort_keys=True))
    try:
        result = scan([plan_file], "terraform_plan", environment=env)
    except (CheckovMissingError, CheckovRunError) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    violations = evaluate(graph)
    console.print(_table(result, violations))
    console.print(
        f"{env}: checkov {len(result.passed)} passed, {len(result.failed)} failed, "
        f"{len(result.skipped)} skipped, {len(result.stale_skips)} stale skips, "
        f"{result.parsing_errors} parsing errors; crossguard {len(violations)} violations; "
        f"{len(plan['planned_values']['root_module']['resources'])} resources translated, "
        f"not translated: {', '.join(not_translated(graph)) or 'none'}"
    )
    if not result.ok or violations:
        raise typer.Exit(1)
