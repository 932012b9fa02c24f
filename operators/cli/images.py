"""`conveyor images …`: build the deployables' container images on this machine (ADR 0032).

`build` makes (once) a Debian base with debootstrap, builds each Containerfile of `containers/`
with buildah in the project's own storage, and exports OCI archives with their digests to
`.local/images/`; `list` shows what was built. `conveyor cluster up` loads them into its node.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from operators.local.images.build import IMAGES, ImageBuilder, local_builder
from operators.local.images.buildah import ImageBuildError
from operators.local.installs import MissingDependencyError
from operators.local.settings import LocalStackSettings

app = typer.Typer(help="Container images of the services and the operator, built with buildah.")
console = Console()
errors = Console(stderr=True)


def builder(settings: LocalStackSettings | None = None) -> ImageBuilder:
    return local_builder(settings)


@app.command()
def build(
    name: Annotated[
        list[str] | None, typer.Argument(help=f"only these: {', '.join(i.name for i in IMAGES)}")
    ] = None,
) -> None:
    """Build the images (all by default) and record their digests in .local/images/."""
    began = time.monotonic()
    try:
        builder().build(console, tuple(name or ()))
    except (ImageBuildError, MissingDependencyError) as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    console.print(f"[bold green]images built[/] in {time.monotonic() - began:.1f} s")


@app.command(name="list")
def list_images() -> None:
    """The images of the last builds: reference by digest, archive size, build time."""
    table = Table("image", "pinned reference", "archive MB", "built in s")
    for image in builder().built():
        table.add_row(image.name, image.pinned, f"{image.size_bytes / 1e6:.0f}", str(image.seconds))
    console.print(table)
