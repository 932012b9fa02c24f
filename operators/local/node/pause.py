"""The pods' sandbox ("pause") image: Debian's static `catatonit -P` alone in an image.

No registry image can be pulled here, and containerd needs a sandbox image for every pod. It is
built once with buildah (the project's storage) from the host's catatonit, exported as an OCI
archive to the cache folder and imported into the node's containerd by `cluster up`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console

from operators.local.images.buildah import Buildah, ImageBuildError
from operators.local.node.configs import PAUSE_IMAGE
from operators.local.settings import LocalStackSettings


def ensure_pause_archive(settings: LocalStackSettings, console: Console) -> Path:
    folder = settings.cache_dir / "images" / "pause"
    archive = folder / "pause.tar"
    if archive.exists():
        return archive
    catatonit = shutil.which("catatonit")
    if catatonit is None:
        raise ImageBuildError("catatonit is missing: apt-get install catatonit")
    buildah = Buildah(storage=settings.cache_dir / "images" / "storage")
    log = folder / "build.log"
    container = buildah.run(["from", "scratch"], log=log).strip()
    buildah.run(["copy", container, catatonit, "/catatonit"], log=log)
    buildah.run(["config", "--entrypoint", '["/catatonit", "-P"]', container], log=log)
    buildah.run(["commit", "--rm", container, PAUSE_IMAGE], log=log)
    partial = folder / "pause.tar.partial"
    partial.unlink(missing_ok=True)
    buildah.run(["push", PAUSE_IMAGE, f"oci-archive:{partial}:{PAUSE_IMAGE}"], log=log)
    partial.rename(archive)
    console.print(f"  [green]✓[/] pause image built from {catatonit}")
    return archive
