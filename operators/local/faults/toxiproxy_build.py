"""Build Toxiproxy's server and CLI from the github.com/Shopify/toxiproxy/v2 Go module, once.

No prebuilt download may be used, but the Go module proxy serves the module. A two-file wrapper
module requires it at the pinned version and `go build` compiles `cmd/server` and `cmd/cli` into a
versioned folder of the cache (outside the repository), reused afterwards. A stamp written last
marks a complete build, so an interrupted one is redone. GOPROXY keeps the user's value unless it
falls back to `direct`, which turns a refusal by the proxy into a misleading DNS error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from rich.console import Console

MODULE = "github.com/Shopify/toxiproxy/v2"
COMMANDS = {"toxiproxy-server": "cmd/server", "toxiproxy-cli": "cmd/cli"}
_PROXY_ONLY = "https://proxy.golang.org"


class ToxiproxyBuildError(RuntimeError):
    """Toxiproxy could not be built; the message says what to do."""


def wrapper_go_mod(version: str) -> str:
    return f"module conveyor.dev/toxiproxy-build\n\ngo 1.24\n\nrequire {MODULE} {version}\n"


def tools_go() -> str:
    imports = "".join(f'\t_ "{MODULE}/{path}"\n' for path in COMMANDS.values())
    return f"//go:build tools\n\npackage tools\n\nimport (\n{imports})\n"


def go_proxy(current: str | None) -> str:
    """The user's GOPROXY without the `direct` fallback (the proxy's answer, not a DNS error)."""
    entries = [e for e in (current or _PROXY_ONLY).replace("|", ",").split(",") if e]
    kept = [e for e in entries if e not in {"direct", "off"}]
    return ",".join(kept) or _PROXY_ONLY


class ToxiproxyBinaries:
    """The built binaries of one Toxiproxy release, in the cache."""

    def __init__(self, *, cache_dir: Path, version: str) -> None:
        self.version = version
        self.root = cache_dir / "toxiproxy" / version
        self.bin_dir = self.root / "bin"
        self.src_dir = self.root / "src"
        self._stamp = self.bin_dir / ".complete"

    def path(self, command: str) -> Path:
        return self.bin_dir / command

    def built(self) -> bool:
        return self._stamp.exists() and all(self.path(c).exists() for c in COMMANDS)

    def ensure(self, console: Console) -> None:
        """Build the binaries unless a complete build of this version is cached."""
        if self.built():
            return
        go = shutil.which("go")
        if go is None:
            raise ToxiproxyBuildError(
                "Go is needed to build Toxiproxy for the chaos suite (Go 1.24 or newer); "
                "install it and make sure `go` is on PATH."
            )
        began = time.monotonic()
        console.print(f"[bold]building Toxiproxy {self.version}[/] into {self.bin_dir} (once)")
        self.src_dir.mkdir(parents=True, exist_ok=True)
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        (self.src_dir / "go.mod").write_text(wrapper_go_mod(self.version))
        (self.src_dir / "tools.go").write_text(tools_go())
        env = {
            **os.environ,
            "GOFLAGS": "-mod=mod -buildvcs=false",
            "CGO_ENABLED": "0",
            "GOPROXY": go_proxy(os.environ.get("GOPROXY")),
        }
        self._run([go, "mod", "tidy"], env, "resolve modules")
        for command, package in COMMANDS.items():
            argv = [go, "build", "-trimpath", "-ldflags", "-s -w"]
            self._run([*argv, "-o", str(self.path(command)), f"{MODULE}/{package}"], env, command)
        self._stamp.write_text(f"{self.version}\n")
        console.print(f"  [green]✓[/] Toxiproxy built in {time.monotonic() - began:.0f} s")

    def _run(self, argv: list[str], env: dict[str, str], step: str) -> None:
        log = self.root / "build.log"
        with log.open("a") as handle:
            handle.write(f"$ {' '.join(argv)}\n")
            handle.flush()
            # nice: a build must not starve the servers and tests sharing the machine's cores.
            result = subprocess.run(
                ["nice", "-n", "10", *argv],
                cwd=self.src_dir,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            tail = "\n".join(f"    {line}" for line in log.read_text().splitlines()[-20:])
            raise ToxiproxyBuildError(f"toxiproxy: {step} failed; last lines of {log}:\n{tail}")
