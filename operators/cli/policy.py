"""`conveyor policy [--env <env>]...`: checkov and CrossGuard over the stacks' synthesized graphs.

Reads build/synth/<env>.json (`conveyor synth`), writes the Terraform plan JSON checkov scans to
build/policy/<env>/plan.json, and prints what failed and what was skipped (with the reason from
policies/skips.yaml), then a summary line per stack. Exits 1 on a failed check not in the skips,
a stale skip, or a CrossGuard violation; 2 when an input is missing (naming the command that
makes it). All stacks go through one checkov run: its start-up is most of its time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from operators.paths import BUILD_DIR, REPO_ROOT
from policies.checkov_runner import CheckovMissingError, CheckovRunError, ScanResult, scan_each
from policies.crossguard.from_synth import Violation, evaluate
from policies.synth_graph import Graph, load
from policies.terraform_plan import not_translated, translate
from policies.terraform_types import UnmappedTypeError
from policies.terraform_types import load as load_types

ENVIRONMENTS = REPO_ROOT / "environments"


def _stacks() -> list[str]:
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for p in ENVIRONMENTS.glob("Pulumi.*.yaml")
    )


def _table(env: str, result: ScanResult, violations: list[Violation]) -> Table:
    table = Table(title=f"policy: {env}", title_justify="left")
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


def _summary(env: str, result: ScanResult, violations: list[Violation], graph: Graph) -> str:
    return (
        f"{env}: checkov {len(result.passed)} passed, {len(result.failed)} failed, "
        f"{len(result.skipped)} skipped, {len(result.stale_skips)} stale skips, "
        f"{result.parsing_errors} parsing errors; crossguard {len(violations)} violations; "
        f"not translated (not Terraform resources): {len(not_translated(graph))} types"
    )


def policy(
    env: Annotated[
        list[str] | None, typer.Option("--env", help="stack name (repeatable); default: all")
    ] = None,
    synth_dir: Annotated[Path, typer.Option(help="where <env>.json is")] = BUILD_DIR / "synth",
    out: Annotated[Path, typer.Option(help="where <env>/plan.json goes")] = BUILD_DIR / "policy",
) -> None:
    """Run checkov (built-in + Conveyor's checks) and CrossGuard over build/synth/<env>.json."""
    console = Console(width=max(Console().width, 140))
    chosen = env or _stacks()
    graphs: dict[str, Graph] = {}
    plans: dict[str, Path] = {}
    for name in chosen:
        source = synth_dir / f"{name}.json"
        if not source.exists():
            console.print(f"{source} is missing: run `conveyor synth --env {name}` (`make synth`)")
            raise typer.Exit(2)
        graphs[name] = load(source)
        try:
            plan = translate(graphs[name], load_types())
        except UnmappedTypeError as exc:
            console.print(str(exc))
            raise typer.Exit(2) from exc
        plans[name] = out / name / "plan.json"
        plans[name].parent.mkdir(parents=True, exist_ok=True)
        plans[name].write_text(json.dumps(plan, indent=1, sort_keys=True))
    try:
        results = scan_each(plans, "terraform_plan", repo_root=REPO_ROOT)
    except (CheckovMissingError, CheckovRunError) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    failed = False
    for name, result in results.items():
        violations = evaluate(graphs[name])
        console.print(_table(name, result, violations))
        console.print(_summary(name, result, violations, graphs[name]))
        failed = failed or not result.ok or bool(violations)
    if failed:
        raise typer.Exit(1)
