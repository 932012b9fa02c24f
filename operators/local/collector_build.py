"""Build Conveyor's OpenTelemetry Collector with the collector builder, once per manifest.

No collector binary may be downloaded here, but the Go module proxy serves the collector builder
(`go.opentelemetry.io/collector/cmd/builder`) and every component module. The manifest
(observability/collector/builder.yaml) names the release (`dist.version`) and the components;
the builder and the binary land in the cache folder (outside the repository) under the release
and a digest of the manifest, so a changed manifest builds anew and an unchanged one never again.
A stamp file written last marks a complete build: an interrupted build is redone. The compile runs
under `nice -n 10`, as it takes minutes of both cores on a laptop.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

import yaml
from rich.console import Console

from operators.local.go_toolchain import find_go
from operators.paths import REPO_ROOT

MANIFEST = REPO_ROOT / "observability" / "collector" / "builder.yaml"
CONFIG = REPO_ROOT / "observability" / "collector" / "config.yaml"
MIN_GO = (1, 24)
_MINUTES_FROM_S = 90


class CollectorBuildError(RuntimeError):
    """The collector could not be built; the message says what to do."""


def release(manifest: str) -> str:
    """The collector release the manifest pins (`dist.version`, e.g. 0.148.0)."""
    version = str((yaml.safe_load(manifest).get("dist") or {}).get("version", ""))
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise CollectorBuildError(f"{MANIFEST}: dist.version must be a release like 0.148.0")
    return version


def build_manifest(manifest: str, output_path: Path) -> str:
    """The manifest with the builder's output folder set (the builder writes sources there)."""
    document = yaml.safe_load(manifest)
    document["dist"]["output_path"] = str(output_path)
    return yaml.safe_dump(document, sort_keys=False)


def _go() -> str:
    return find_go(
        MIN_GO, purpose="the OpenTelemetry Collector of the local stack", error=CollectorBuildError
    )


class CollectorBinary:
    """The collector built from the manifest, in the cache."""

    def __init__(self, *, cache_dir: Path, manifest: Path = MANIFEST) -> None:
        text = manifest.read_text()
        self.manifest_text = text
        self.version = release(text)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        self.root = cache_dir / "otelcol" / f"{self.version}-{digest}"
        self.src_dir = self.root / "src"
        self.name = str(yaml.safe_load(text)["dist"]["name"])
        self._stamp = self.root / ".complete"

    @property
    def path(self) -> Path:
        return self.src_dir / self.name

    def built(self) -> bool:
        return self._stamp.exists() and self.path.exists()

    def ensure(self, console: Console) -> Path:
        """Build the collector unless a complete build of this manifest is cached."""
        if self.built():
            return self.path
        go = _go()
        began = time.monotonic()
        console.print(
            f"[bold]building the OpenTelemetry Collector {self.version}[/] from the Go module "
            f"proxy into {self.root} — once per manifest, several minutes on 2 cores"
        )
        self.root.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOBIN": str(self.root / "tools"), "CGO_ENABLED": "0"}
        env["GOFLAGS"] = "-buildvcs=false"
        builder = f"go.opentelemetry.io/collector/cmd/builder@v{self.version}"
        self._run(["nice", "-n", "10", go, "install", builder], env, "install the builder", console)
        manifest = self.root / "manifest.yaml"
        manifest.write_text(build_manifest(self.manifest_text, self.src_dir))
        tool = str(self.root / "tools" / "builder")
        argv = ["nice", "-n", "10", tool, "--config", str(manifest), "--ldflags=-s -w"]
        self._run(argv, env, "generate and compile", console)
        self._stamp.write_text(f"{self.version}\n")
        console.print(f"  [green]✓[/] collector {self.version} built in {_took(began)}")
        return self.path

    def _run(self, argv: list[str], env: dict[str, str], step: str, console: Console) -> None:
        began = time.monotonic()
        log = self.root / "build.log"
        with console.status(f"  collector: {step}…"), log.open("a") as handle:
            handle.write(f"$ {' '.join(argv)}\n")
            handle.flush()
            result = subprocess.run(
                argv, cwd=self.root, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False
            )
        if result.returncode != 0:
            tail = "\n".join(f"    {line}" for line in log.read_text().splitlines()[-25:])
            raise CollectorBuildError(f"collector: {step} failed; last lines of {log}:\n{tail}")
        console.print(f"  [green]✓[/] collector: {step} ({_took(began)})")


def _took(began: float) -> str:
    seconds = time.monotonic() - began
    return f"{seconds / 60:.1f} min" if seconds >= _MINUTES_FROM_S else f"{seconds:.0f} s"
