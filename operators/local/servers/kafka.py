"""One Apache Kafka node in KRaft mode (broker and controller combined), run from Maven jars.

The jars are resolved by `mvn` from operators/local/kafka/pom.xml into a versioned folder of the
cache (outside the repository) and reused; storage is formatted once, on first start. The heap is
small on purpose: the whole stack has to sit comfortably on a laptop. Topics are created from the
one declaration in workloads/contracts/topics.py after the broker answers.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from rich.console import Console

from operators.local.aio import run_sync
from operators.local.faults.addresses import proxy_address
from operators.local.installs import Requirement, binary
from operators.local.node.settings import NodeSettings
from operators.local.ports import is_listening
from operators.local.servers.base import Server, ServerError
from workloads.contracts.topics import TOPICS
from workloads.shared.messaging.kafka import KafkaSettings, ensure_topics

MIN_JAVA = 17
POM = Path(__file__).resolve().parents[1] / "kafka" / "pom.xml"


def pinned_version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if not match:
        raise ServerError(f"{POM} does not declare <kafka.version>")
    return match.group(1)


def _java_major() -> int:
    java = shutil.which("java")
    if java is None:
        return 0
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else 0


def kraft_cluster_id(raw: bytes | None = None) -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding (as kafka-storage makes)."""
    return base64.urlsafe_b64encode(raw or uuid.uuid4().bytes).decode().rstrip("=")


class Kafka(Server):
    name = "kafka"

    @property
    def port(self) -> int:
        return self.settings.kafka_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_KAFKA_PORT"

    @property
    def bootstrap_servers(self) -> str:
        return self.address

    @property
    def node_address(self) -> str:
        """Where pods on the local node bootstrap: the node address, relayed to NODE."""
        return f"{NodeSettings().node_ip}:{self.settings.kafka_node_port}"

    @property
    def libs_dir(self) -> Path:
        return self.settings.cache_dir / "kafka" / pinned_version() / "libs"

    def requirements(self) -> list[Requirement]:
        return [
            Requirement(
                "Java 17+", ("openjdk-17-jre-headless",), lambda: _java_major() >= MIN_JAVA
            ),
            binary("mvn", "Apache Maven", "maven"),
        ]

    def _fetch_jars(self, console: Console) -> None:
        marker = self.libs_dir / ".complete"
        if marker.exists():
            return
        version = pinned_version()
        with console.status(f"  kafka: fetching Apache Kafka {version} jars from Maven Central…"):
            result = subprocess.run(
                [
                    "mvn",
                    "-B",
                    "-q",
                    "-f",
                    str(POM),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={self.libs_dir}",
                    "-DincludeScope=runtime",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise ServerError(f"mvn could not fetch the Kafka jars:\n{tail}")
        marker.write_text(version)
        console.print(
            f"  kafka: cached {len(list(self.libs_dir.glob('*.jar')))} jars in {self.libs_dir}"
        )

    def _java(self, main_class: str, *args: str, heap: str | None = None) -> list[str]:
        java = shutil.which("java") or "java"
        memory = [f"-Xms{heap}", f"-Xmx{heap}"] if heap else ["-Xmx256m"]
        return [
            java,
            *memory,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{self.dir / 'log4j.properties'}",
            f"-Dkafka.logs.dir={self.dir / 'logs'}",
            "-cp",
            f"{self.libs_dir}/*",
            main_class,
            *args,
        ]

    def prepare(self, console: Console) -> None:
        self._fetch_jars(console)
        self.ensure_dir(self.dir)
        self.ensure_dir(self.dir / "logs")
        host, port, ctl = self.settings.host, self.port, self.settings.kafka_controller_port
        proxied, node = self.settings.kafka_proxied_port, self.settings.kafka_node_port
        (self.dir / "server.properties").write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{host}:{ctl}",
                    f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{ctl},"
                    f"PROXIED://{host}:{proxied},NODE://{host}:{node}",
                    # PROXIED is reached through the chaos suite's proxy and names the proxy, so
                    # a client that bootstraps there stays behind it (ADR 0026). NODE is reached
                    # by pods through `cluster up`'s relay on the node address, which it names
                    # (ADR 0038); off the node, nothing listens at that address.
                    f"advertised.listeners=PLAINTEXT://{host}:{port},"
                    f"PROXIED://{proxy_address(self.settings, 'kafka')},"
                    f"NODE://{self.node_address}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map="
                    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT,NODE:PLAINTEXT",
                    f"log.dirs={self.dir / 'data'}",
                    "num.partitions=3",
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=12",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "transaction.state.log.num.partitions=12",
                    "group.initial.rebalance.delay.ms=0",
                    "num.network.threads=2",
                    "num.io.threads=4",
                    "",
                ]
            )
        )
        (self.dir / "log4j.properties").write_text(
            "\n".join(
                [
                    "log4j.rootLogger=INFO, stdout",
                    "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
                    "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
                    "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
                    "log4j.logger.kafka=INFO",
                    "log4j.logger.org.apache.kafka=INFO",
                    "log4j.logger.state.change.logger=WARN",
                    "",
                ]
            )
        )
        if not (self.dir / "data" / "meta.properties").exists():
            self._format_storage(console)

    def _format_storage(self, console: Console) -> None:
        cluster_id = kraft_cluster_id()
        console.print(f"  kafka: formatting storage (cluster id {cluster_id})")
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",  # an id may start with '-': never a separate arg
                "-c",
                str(self.dir / "server.properties"),
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    def command(self) -> list[str]:
        return self._java(
            "kafka.Kafka", str(self.dir / "server.properties"), heap=self.settings.kafka_heap
        )

    def client_settings(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=5_000)

    def probe(self) -> bool:
        # A closed port is the common case while the broker boots: answer it without a client,
        # whose connection errors would otherwise be logged on every poll.
        if not is_listening(self.settings.host, self.port):
            return False
        return run_sync(self._probe())

    async def _probe(self) -> bool:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2_000
        )
        try:
            await admin.start()
            await admin.list_topics()
        except (KafkaError, OSError):
            return False
        finally:
            await admin.close()
        return True

    def after_ready(self, console: Console) -> None:
        changes = run_sync(ensure_topics(self.client_settings(), TOPICS))
        for verb, names in (
            ("created", changes.created),
            ("added partitions to", changes.repartitioned),
            ("reconfigured", changes.reconfigured),
        ):
            if names:
                console.print(f"  kafka: {verb} topics {', '.join(names)}")
