"""Build kube-apiserver, kube-controller-manager and kubectl from the k8s.io/kubernetes Go module.

There is no Kubernetes download we may use, but the Go module proxy serves every release of
k8s.io/kubernetes. That module is not meant to be depended on: its go.mod points each k8s.io
staging module (api, apimachinery, client-go, …) at a folder of its own repository with
`replace ... => ./staging/...`, and replace directives of a dependency are ignored. A small wrapper
module therefore pins every staging module to its published twin (`v0.X.Y` for `v1.X.Y`) with
replace directives of its own, generated from the kubernetes go.mod itself so nothing is listed
by hand. The binaries are built once per version into the cache folder (outside the repository)
and reused; a stamp file written last marks a complete build, so an interrupted build is redone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

COMMANDS = ("kube-apiserver", "kube-controller-manager", "kubectl")
# A node's programs (`conveyor cluster up`, ADR 0032): built only when a node is wanted.
NODE_COMMANDS = ("kubelet", "kube-scheduler", "kube-proxy")
MIN_GO = (1, 24)
_MINUTES_FROM_S = 90

_STAGING = re.compile(r"^\s*(k8s\.io/[A-Za-z0-9._-]+)\s+=>\s+\./staging/", re.MULTILINE)


class BuildError(RuntimeError):
    """The Kubernetes binaries could not be built; the message says what to do."""


def staging_version(kubernetes_version: str) -> str:
    """k8s.io/kubernetes v1.34.4 ships its staging modules as v0.34.4."""
    match = re.fullmatch(r"v1\.(\d+)\.(\d+)", kubernetes_version)
    if match is None:
        raise BuildError(f"not a Kubernetes release version: {kubernetes_version!r} (want v1.X.Y)")
    return f"v0.{match.group(1)}.{match.group(2)}"


def wrapper_go_mod(kubernetes_go_mod: str, kubernetes_version: str) -> str:
    """The go.mod of a module that can depend on k8s.io/kubernetes at this version."""
    modules = sorted(set(_STAGING.findall(kubernetes_go_mod)))
    if not modules:
        raise BuildError("the k8s.io/kubernetes go.mod lists no staging modules; format changed?")
    pinned = staging_version(kubernetes_version)
    replaces = "".join(f"\t{module} => {module} {pinned}\n" for module in modules)
    return (
        "module conveyor.dev/kubernetes-build\n\n"
        "go 1.24\n\n"
        f"require k8s.io/kubernetes {kubernetes_version}\n\n"
        f"replace (\n{replaces})\n"
    )


def _tools_go(commands: tuple[str, ...]) -> str:
    imports = "".join(f'\t_ "k8s.io/kubernetes/cmd/{name}"\n' for name in commands)
    return f"//go:build tools\n\npackage tools\n\nimport (\n{imports})\n"


def version_ldflags(kubernetes_version: str) -> str:
    """Stamp the release into the binaries, as the upstream build does, so discovery reports it."""
    major, minor = kubernetes_version.removeprefix("v").split(".")[:2]
    values = {
        "gitVersion": kubernetes_version,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "clean",
    }
    flags = [f"-X k8s.io/component-base/version.{key}={value}" for key, value in values.items()]
    flags.append(f"-X k8s.io/client-go/pkg/version.gitVersion={kubernetes_version}")
    return " ".join(["-s", "-w", *flags])


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "Go is needed to build the Kubernetes API server for the operator tests "
            f"(Go {MIN_GO[0]}.{MIN_GO[1]} or newer); install it and make sure `go` is on PATH."
        )
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True)
    found = re.match(r"go(\d+)\.(\d+)", out.stdout.strip())
    if found is None or (int(found.group(1)), int(found.group(2))) < MIN_GO:
        raise BuildError(f"Go {out.stdout.strip()} is too old; Kubernetes needs {MIN_GO}+")
    return go


class KubernetesBinaries:
    """The built binaries of one Kubernetes release, in the cache."""

    def __init__(
        self, *, cache_dir: Path, version: str, commands: tuple[str, ...] = COMMANDS
    ) -> None:
        self.version = version
        self.commands = commands
        # Another set of commands builds in a wrapper module and with a stamp of its own.
        suffix = "" if commands == COMMANDS else "-" + "-".join(commands)
        self.root = cache_dir / "kubernetes" / version
        self.bin_dir = self.root / "bin"
        self.src_dir = self.root / f"src{suffix}"
        self._stamp = self.bin_dir / f".complete{suffix}"

    def path(self, command: str) -> Path:
        return self.bin_dir / command

    def built(self) -> bool:
        return self._stamp.exists() and all(self.path(c).exists() for c in self.commands)

    def ensure(self, console: Console) -> None:
        """Build the binaries unless a complete build of this version is cached."""
        if self.built():
            return
        go = _go()
        began = time.monotonic()
        console.print(
            f"[bold]building Kubernetes {self.version}[/] ({', '.join(self.commands)}) from the Go "
            f"module proxy into {self.bin_dir} — once per version, several minutes on 2 cores"
        )
        self.src_dir.mkdir(parents=True, exist_ok=True)
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOFLAGS": "-mod=mod -buildvcs=false", "CGO_ENABLED": "0"}
        self._run(
            [go, "mod", "download", "-json", f"k8s.io/kubernetes@{self.version}"],
            env,
            "download k8s.io/kubernetes",
            console,
        )
        gomodcache = subprocess.run(
            [go, "env", "GOMODCACHE"], capture_output=True, text=True, check=True, env=env
        ).stdout.strip()
        upstream = (
            Path(gomodcache) / "cache" / "download" / "k8s.io" / "kubernetes" / "@v"
        ) / f"{self.version}.mod"
        (self.src_dir / "go.mod").write_text(wrapper_go_mod(upstream.read_text(), self.version))
        (self.src_dir / "tools.go").write_text(_tools_go(self.commands))
        self._run([go, "mod", "tidy"], env, "resolve modules (go mod tidy)", console)
        packages = [f"k8s.io/kubernetes/cmd/{name}" for name in self.commands]
        self._run(
            [
                go,
                "build",
                "-trimpath",
                "-ldflags",
                version_ldflags(self.version),
                "-o",
                str(self.bin_dir) + os.sep,
                *packages,
            ],
            env,
            "compile",
            console,
        )
        self._stamp.write_text(f"{self.version}\n")
        console.print(f"  [green]✓[/] Kubernetes {self.version} built in {_took(began)}")

    def _run(self, argv: list[str], env: dict[str, str], step: str, console: Console) -> None:
        began = time.monotonic()
        log = self.root / "build.log"
        with console.status(f"  kubernetes: {step}…"), log.open("a") as handle:
            # Below the servers and tests sharing the machine: a build is never urgent.
            argv = ["nice", "-n", "10", *argv]
            handle.write(f"$ {' '.join(argv)}\n")
            handle.flush()
            result = subprocess.run(
                argv,
                cwd=self.src_dir,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            tail = "\n".join(f"    {line}" for line in log.read_text().splitlines()[-25:])
            raise BuildError(f"kubernetes: {step} failed; last lines of {log}:\n{tail}")
        console.print(f"  [green]✓[/] kubernetes: {step} ({_took(began)})")


def _took(began: float) -> str:
    seconds = time.monotonic() - began
    return f"{seconds / 60:.1f} min" if seconds >= _MINUTES_FROM_S else f"{seconds:.0f} s"


if __name__ == "__main__":  # pragma: no cover - manual rebuild entry point
    from operators.local.settings import LocalStackSettings

    settings = LocalStackSettings()
    KubernetesBinaries(cache_dir=settings.cache_dir, version=settings.kubernetes_version).ensure(
        Console(stderr=True)
    )
    sys.exit(0)
