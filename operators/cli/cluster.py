"""`conveyor cluster …`: a real one-node Kubernetes on this machine (ADR 0032).

`up` builds what is missing (the Kubernetes binaries, once; the pause image, once), starts the
control plane of `conveyor kube`, then containerd, kube-scheduler, kube-proxy and the kubelet
on a bridge the project creates, imports the images of `conveyor images build` and waits for the
node to be Ready. `down` drains the node, stops everything and puts the host back as it was.
`deploy-operator` runs the operator in a pod from operators/deploy/ with the image built here
(ADR 0045).
"""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

from operators.cli.images import builder
from operators.local.images.buildah import ImageBuildError
from operators.local.installs import MissingDependencyError
from operators.local.kube.binaries import BuildError
from operators.local.node import operator_deploy
from operators.local.node.cluster import NodeCluster
from operators.local.servers import ServerError

app = typer.Typer(help="A one-node Kubernetes (containerd, kubelet) on a bridge of its own.")
console = Console()
errors = Console(stderr=True)


def _cluster() -> NodeCluster:
    return NodeCluster(images=builder())


@app.command()
def up() -> None:
    """Build (once) and start the control plane and the node; idempotent."""
    cluster = _cluster()
    began = time.monotonic()
    try:
        cluster.up(console)
    except (BuildError, ImageBuildError, MissingDependencyError, ServerError) as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    console.print(
        f"[bold green]cluster ready[/] in {time.monotonic() - began:.1f} s — "
        f"export KUBECONFIG={cluster.kube.kubeconfig()}"
    )


@app.command()
def down() -> None:
    """Delete the pods, stop every server and restore the host (sysctls, iptables, mounts…)."""
    stopped = _cluster().down(console)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}; host restored")


@app.command(name="deploy-operator")
def deploy_operator() -> None:
    """Run the operator in a pod: operators/deploy/ with the image built here, by digest."""
    cluster = _cluster()
    built = {image.name: image for image in builder().built()}
    try:
        operator_deploy.deploy(cluster.kube, built.get("operator"), console)
    except ServerError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc


@app.command()
def status() -> None:
    """One row per server of the control plane and the node, and whether the node is Ready."""
    cluster = _cluster()
    table = Table("server", "state", "pid", "address", "detail")
    for row in cluster.status():
        table.add_row(row.name, row.state.value, str(row.pid or ""), row.address, row.detail)
    console.print(table)
    ready = cluster.kube.apiserver.probe() and cluster.node_ready()
    console.print(f"node: {'Ready' if ready else 'not ready'} ({cluster.node.node_ip})")
