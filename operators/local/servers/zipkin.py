"""Zipkin, the local trace store: span intake, query API and UI in one executable jar.

`io.zipkin:zipkin-server` (classifier `exec`) is fetched once by `mvn dependency:copy` into a
versioned folder of the cache and run with the machine's Java 17 and the in-memory store
(`STORAGE_TYPE=mem`, at most `MAX_SPANS` spans, oldest dropped first): traces live as long as the
process. It listens on loopback only, and its environment is its own, so a `KAFKA_BOOTSTRAP_SERVERS`
or database variable of the runner's never turns on one of Zipkin's optional collectors. Ready
when the query API answers. ADR 0027 says why Zipkin rather than Jaeger.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path

from rich.console import Console

from operators.local.installs import Requirement, binary
from operators.local.servers.base import Server, ServerError
from operators.local.servers.kafka import MIN_JAVA, _java_major

VERSION = "3.5.1"
ARTIFACT = f"io.zipkin:zipkin-server:{VERSION}:jar:exec"
MAX_SPANS = 100_000  # 384 MB of heap: 200,000 spans ran it out of memory after a full run
HEAP = "384m"


class Zipkin(Server):
    name = "zipkin"

    @property
    def port(self) -> int:
        return self.settings.zipkin_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_ZIPKIN_PORT"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def start_timeout_s(self) -> float:
        return 3 * self.settings.start_timeout_s  # Spring Boot: ~10 s idle, 90 s on a loaded laptop

    @property
    def jar(self) -> Path:
        return self.settings.cache_dir / "zipkin" / VERSION / f"zipkin-server-{VERSION}-exec.jar"

    def requirements(self) -> list[Requirement]:
        return [
            Requirement(
                "Java 17+", ("openjdk-17-jre-headless",), lambda: _java_major() >= MIN_JAVA
            ),
            binary("mvn", "Apache Maven", "maven"),
        ]

    def _fetch_jar(self, console: Console) -> None:
        if self.jar.exists():
            return
        partial = self.jar.parent / "partial"
        shutil.rmtree(partial, ignore_errors=True)
        with console.status(f"  zipkin: fetching {ARTIFACT} (~130 MB) from Maven Central…"):
            result = subprocess.run(
                ["mvn", "-B", "-q", "dependency:copy", f"-Dartifact={ARTIFACT}",
                 f"-DoutputDirectory={partial}"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise ServerError(f"mvn could not fetch {ARTIFACT}:\n{tail}")
        (partial / self.jar.name).replace(self.jar)  # whole jar or none
        shutil.rmtree(partial, ignore_errors=True)
        console.print(f"  zipkin: cached {self.jar}")

    def prepare(self, console: Console) -> None:
        self._fetch_jar(console)
        self.ensure_dir(self.dir)

    def command(self) -> list[str]:
        java = shutil.which("java") or "java"
        return [
            java,
            f"-Xms{HEAP}",
            f"-Xmx{HEAP}",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",  # C1 only: a faster start, plenty for a local trace store
            "-Djava.awt.headless=true",
            "-jar",
            str(self.jar),
            f"--armeria.ports[0].ip={self.settings.host}",
            f"--armeria.ports[0].port={self.port}",
            "--armeria.ports[0].protocols[0]=http",
        ]

    def environment(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.dir)),
            "STORAGE_TYPE": "mem",
            "MEM_MAX_SPANS": str(MAX_SPANS),
            "QUERY_PORT": str(self.port),
            **{k: v for k, v in os.environ.items() if k == "JAVA_HOME"},
        }

    def probe(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/services", timeout=1) as response:  # noqa: S310
                return bool(response.status == HTTPStatus.OK)
        except (urllib.error.URLError, OSError):
            return False
