"""The root of the `conveyor` command line."""

from __future__ import annotations

import typer

from operators.cli import (
    catalog,
    cluster,
    dashboards,
    demo,
    dlq,
    flags,
    identity,
    images,
    kube,
    local,
    orders,
    policy,
    projections,
    schemas,
    slo,
    synth,
)
from operators.cli.capacity import capacity as capacity_command
from operators.cli.cost import cost as cost_command

app = typer.Typer(
    name="conveyor",
    help="Conveyor: an event-driven commerce system from a laptop to AWS.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold connection strings
)
app.add_typer(local.app, name="local")
app.add_typer(dlq.app, name="dlq")
app.add_typer(schemas.app, name="schemas")
app.add_typer(kube.app, name="kube")
app.add_typer(images.app, name="images")
app.add_typer(cluster.app, name="cluster")
app.add_typer(slo.app, name="slo")
app.add_typer(dashboards.app, name="dashboards")
app.add_typer(orders.app, name="orders")
app.add_typer(catalog.app, name="catalog")
app.add_typer(projections.app, name="projections")
app.add_typer(flags.app, name="flags")
app.add_typer(identity.app, name="identity")
app.command(name="demo")(demo.demo)
app.command(name="cost")(cost_command)
app.command(name="capacity")(capacity_command)
app.command(name="synth")(synth.synth)
app.command(name="policy")(policy.policy)


def main() -> None:
    app()
