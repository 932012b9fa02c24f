"""`conveyor kube …`: a local Kubernetes control plane (etcd, API server, controller manager).

For the operator: its tests run against it, and a developer can try `kubectl apply` of an
OrderPipeline without a cloud. The first `up` builds the Kubernetes binaries from the Go module
proxy (several minutes, once per version, cached outside the repository).
"""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from operators.local.installs import MissingDependencyError
from operators.local.kube.binaries import BuildError
from operators.local.kube.cluster import KubeCluster
from operators.local.kube.credentials import ADMIN, OPERATOR
from operators.local.servers import ServerError

app = typer.Typer(help="A local Kubernetes API server for the operator, on loopback.")
console = Console()
errors = Console(stderr=True)


@app.command()
def up() -> None:
    """Build (once) and start etcd, kube-apiserver and kube-controller-manager."""
    cluster = KubeCluster()
    began = time.monotonic()
    try:
        cluster.up(console)
    except (BuildError, MissingDependencyError, ServerError) as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    console.print(
        f"[bold green]kubernetes ready[/] in {time.monotonic() - began:.1f} s — "
        f"export KUBECONFIG={cluster.kubeconfig()}"
    )


@app.command()
def down() -> None:
    """Stop what `conveyor kube up` started; etcd's data stays for the next start."""
    stopped = KubeCluster().down()
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def status() -> None:
    """One row per control-plane server."""
    table = Table("server", "state", "pid", "address", "detail")
    for row in KubeCluster().status():
        table.add_row(row.name, row.state.value, str(row.pid or ""), row.address, row.detail)
    console.print(table)


@app.command()
def kubeconfig(
    operator: Annotated[
        bool, typer.Option("--operator", help="The operator's least-privilege identity.")
    ] = False,
) -> None:
    """Print the path of a kubeconfig for the local API server (admin by default)."""
    print(KubeCluster().kubeconfig(OPERATOR if operator else ADMIN))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def kubectl(ctx: typer.Context) -> None:
    """Run the matching kubectl against the local API server: `conveyor kube kubectl get op`."""
    cluster = KubeCluster()
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig())}
    os.execve(cluster.kubectl_path, [str(cluster.kubectl_path), *ctx.args], env)  # noqa: S606
