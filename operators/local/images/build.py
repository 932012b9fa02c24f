"""Build the deployables' images locally and export each as an OCI archive with its digest.

Each deployable has one Containerfile under `containers/` — the same file a registry build uses.
Locally its `BASE` is the debootstrap base (`base.py`) and its `UV` a one-file image holding the
project's pinned uv, so nothing is pulled. `buildah bud --layers` reuses unchanged steps, so a
rebuild after a source change takes seconds. A build whose image id changed is pushed to
`oci-archive:` under the state folder (`.local/images/<name>.tar`), its manifest digest recorded in
`.local/images/images.json`; the cluster loads those archives into containerd and pods name the
image by that digest. A failing step raises `ImageBuildError` naming the log.
"""

from __future__ import annotations

import json
import os
import tarfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console

from operators.local.images.base import BaseImage
from operators.local.images.buildah import ULIMITS, Buildah, ImageBuildError
from operators.local.installs import Requirement, binary, ensure_installed
from operators.local.settings import LocalStackSettings
from operators.paths import REPO_ROOT

TAG = "dev"
# What a build runs; `build` installs what is missing (apt-get, as root) or raises naming it.
TOOLS: tuple[Requirement, ...] = (
    binary("buildah", "buildah (builds the images)", "buildah"),
    binary("debootstrap", "debootstrap (the images' Debian base)", "debootstrap"),
)
CONTAINERS_DIR = REPO_ROOT / "containers"


@dataclass(frozen=True)
class ImageSpec:
    name: str  # conveyor-<name>, built from containers/<name>.Containerfile
    purpose: str

    @property
    def containerfile(self) -> Path:
        return CONTAINERS_DIR / f"{self.name}.Containerfile"

    @property
    def ref(self) -> str:
        return f"localhost/conveyor-{self.name}:{TAG}"


IMAGES = (
    ImageSpec("services", "the four services, one command each (python -m workloads.<service>)"),
    ImageSpec("operator", "the OrderPipeline operator (python -m operators.controller)"),
)


@dataclass(frozen=True)
class BuiltImage:
    name: str
    ref: str
    digest: str  # sha256:… of the manifest in the archive (what containerd and pods see)
    archive: str
    size_bytes: int  # the archive's size: every layer, compressed as stored
    seconds: float
    image_id: str = ""  # buildah's id of what was exported: an unchanged build is not re-exported

    @property
    def pinned(self) -> str:
        """`repository@digest`: the reference pods use."""
        return f"{self.ref.rsplit(':', 1)[0]}@{self.digest}"


def archive_digest(archive: Path) -> str:
    """The manifest digest of a one-image OCI archive (its index.json's only manifest)."""
    with tarfile.open(archive) as tar:
        member = tar.extractfile("index.json")
        if member is None:
            raise ImageBuildError(f"{archive} has no index.json: not an OCI archive")
        index = json.load(member)
    manifests = index.get("manifests", [])
    if len(manifests) != 1:
        raise ImageBuildError(f"{archive} holds {len(manifests)} manifests, expected one")
    digest: str = manifests[0]["digest"]
    return digest


class ImageBuilder:
    def __init__(self, *, cache_dir: Path, state_dir: Path, uv: Path) -> None:
        self.buildah = Buildah(storage=cache_dir / "images" / "storage")
        self.base = BaseImage(cache_dir=cache_dir, buildah=self.buildah)
        self.out_dir = state_dir / "images"
        self.uv = uv
        self.log = self.out_dir / "build.log"

    @property
    def record(self) -> Path:
        return self.out_dir / "images.json"

    def build(self, console: Console, names: tuple[str, ...] = ()) -> list[BuiltImage]:
        """Build the images (all, or `names`); installs buildah and debootstrap first when
        missing (`MissingDependencyError` when it cannot), raises `ImageBuildError` on a
        failed step."""
        ensure_installed(TOOLS, console)
        if not self.uv.is_file():
            raise ImageBuildError(f"the pinned uv is missing at {self.uv}: run `make setup`")
        base = self.base.ensure(console)
        uv_ref = self._uv_image()
        built = [
            self._build_one(spec, base=base, uv_ref=uv_ref, console=console)
            for spec in IMAGES
            if not names or spec.name in names
        ]
        recorded = {image.name: image for image in self.built()}
        recorded.update({image.name: image for image in built})
        self.record.write_text(
            json.dumps({k: asdict(v) for k, v in sorted(recorded.items())}, indent=2) + "\n"
        )
        return built

    def built(self) -> list[BuiltImage]:
        """What the last builds recorded (empty before the first)."""
        if not self.record.exists():
            return []
        return [BuiltImage(**fields) for fields in json.loads(self.record.read_text()).values()]

    def _uv_image(self) -> str:
        """A one-file image with the project's pinned uv at /uv, as the upstream uv image has."""
        version = self.uv.parent.parent.name.removeprefix("uv-")
        ref = f"localhost/conveyor-uv:{version}"
        if not self.buildah.exists(ref):
            container = self.buildah.run(["from", "scratch"], log=self.log).strip()
            self.buildah.run(["copy", container, str(self.uv), "/uv"], log=self.log)
            self.buildah.run(["commit", "--rm", container, ref], log=self.log)
        return ref

    def _build_one(
        self, spec: ImageSpec, *, base: str, uv_ref: str, console: Console
    ) -> BuiltImage:
        began = time.monotonic()
        uv_cache = Path(os.environ.get("UV_CACHE_DIR", self.uv.parents[2] / "uv-cache"))
        with console.status(f"  image {spec.ref}: building…"):
            self.buildah.run(
                [
                    "bud",
                    "--layers",
                    "--pull-never",
                    "--isolation",
                    "chroot",
                    *ULIMITS,
                    "--build-arg",
                    f"BASE={base}",
                    "--build-arg",
                    f"UV={uv_ref}",
                    # The shared uv cache: wheels already downloaded are not fetched again.
                    "--volume",
                    f"{uv_cache}:/root/.cache/uv",
                    "--file",
                    str(spec.containerfile),
                    "--tag",
                    spec.ref,
                    str(REPO_ROOT),
                ],
                log=self.log,
            )
            archive = self.out_dir / f"{spec.name}.tar"
            image_id = self.buildah.image_id(spec.ref)
            previous = {image.name: image for image in self.built()}.get(spec.name)
            if previous is None or previous.image_id != image_id or not archive.exists():
                archive.unlink(missing_ok=True)
                target = f"oci-archive:{archive}:{spec.ref}"
                self.buildah.run(["push", spec.ref, target], log=self.log)
        image = BuiltImage(
            name=spec.name,
            ref=spec.ref,
            digest=archive_digest(archive),
            archive=str(archive),
            size_bytes=archive.stat().st_size,
            seconds=round(time.monotonic() - began, 1),
            image_id=image_id,
        )
        console.print(
            f"  [green]✓[/] {image.pinned} ({image.size_bytes / 1e6:.0f} MB, {image.seconds} s)"
        )
        return image


def local_builder(settings: LocalStackSettings | None = None) -> ImageBuilder:
    """The builder over this checkout's cache and state folders, with the project's pinned uv
    (`CONVEYOR_UV`, set by the Makefile, or the cache's)."""
    settings = settings or LocalStackSettings()
    uv = os.environ.get("CONVEYOR_UV") or str(settings.cache_dir / "uv-0.13.9" / "bin" / "uv")
    return ImageBuilder(cache_dir=settings.cache_dir, state_dir=settings.state_dir, uv=Path(uv))
