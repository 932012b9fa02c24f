"""`conveyor flags list | set NAME VALUE`: the local stack's feature flags, changed while it runs.

Both read the file the runner writes from the pipeline (`.local/flags/flags.json`,
operators/local/flags_file.py); every running process picks a change up within a poll period,
without a restart. `set` validates before it writes (a known flag's type and range, a variant
name or a value of the flag's type) and writes atomically; a `fault.*` flag is refused when the
stack's pipeline is a production one without `allowFailureInjection`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from operators.local import flags_file
from operators.local.plan import PipelineError, read
from operators.local.settings import LocalStackSettings
from workloads.shared.flags.names import KNOWN

app = typer.Typer(help="Feature flags and failure injection of the local stack.")
console = Console()


@app.command(name="list")
def list_flags() -> None:
    """Each flag in the stack's flags file: its default value, variants and whether it targets."""
    settings = LocalStackSettings()
    path = flags_file.location(settings)
    try:
        document = flags_file.read(path)
    except flags_file.FlagsFileError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    table = Table("flag", "value", "variants", "targeting", "about", title=str(path))
    for key, flag in document.flags.items():
        value = json.dumps(flag.variants[flag.default_variant])
        if flag.state == "DISABLED":
            value += " (disabled)"
        about = KNOWN[key].description if key in KNOWN else ""
        variants = ", ".join(f"{n}={json.dumps(v)}" for n, v in flag.variants.items())
        table.add_row(key, value, variants, "yes" if flag.targeting else "", about)
    console.print(table)


@app.command(name="set")
def set_flag(
    name: Annotated[str, typer.Argument(help="e.g. fault.payment-provider.failure-rate")],
    value: Annotated[str, typer.Argument(help="a variant's name, or a JSON value: 0.5, 200, true")],
) -> None:
    """Make VALUE the flag's default; running services see it within a second, no restart."""
    settings = LocalStackSettings()
    try:
        spec = read(settings.pipeline).spec
        changed = flags_file.set_flag(flags_file.location(settings), name, value, spec=spec)
    except (flags_file.FlagsFileError, PipelineError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"{name} = {json.dumps(changed.defaults()[name])}")
