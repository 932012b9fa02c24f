"""Point a service at its servers through Toxiproxy: the proxies and the service's environment.

Each proxy listens on the chaos bridge's address and forwards to the real server on loopback.
Kafka needs more than a proxy: a client asks the broker for its address after the first metadata
fetch, so the broker has a second listener (`CONVEYOR_KAFKA_PROXIED_PORT`) that advertises the
proxy's address; a client that bootstraps through the proxy is told the proxy again, and all its
traffic stays in the proxy's path (tests/integration/operators/local/faults prove it). A service is
switched by its environment only (the supervisor's `set_env`): nothing in its code knows.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from operators.local.faults.addresses import proxy_address
from operators.local.faults.toxiproxy_api import Proxy
from operators.local.settings import LocalStackSettings
from operators.local.stack import LocalStack
from workloads.catalogue import BY_NAME


def proxies(settings: LocalStackSettings) -> list[Proxy]:
    host = settings.host
    upstream = {
        "kafka": f"{host}:{settings.kafka_proxied_port}",
        "postgres": f"{host}:{settings.postgres_port}",
        "payment-provider": f"{host}:{settings.payment_provider_port}",
    }
    return [Proxy(name, proxy_address(settings, name), up) for name, up in upstream.items()]


def _moved(url: str, address: str) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{address}" if credentials else address
    return urlunsplit(parts._replace(netloc=netloc))


def environment_through_proxy(
    stack: LocalStack, workload: str, servers: tuple[str, ...] = ("kafka", "postgres")
) -> dict[str, str]:
    """The overrides that send `workload`'s traffic to `servers` through their proxies."""
    settings = stack.settings
    record = BY_NAME[workload]
    env: dict[str, str] = {}
    if "kafka" in servers and record.uses_kafka:
        env["KAFKA_BOOTSTRAP_SERVERS"] = proxy_address(settings, "kafka")
    if "postgres" in servers and record.owns_database:
        env["DATABASE_URL"] = _moved(
            stack.postgres.dsn(workload), proxy_address(settings, "postgres")
        )
    if "payment-provider" in servers and workload == "payment":
        env["PAYMENT_PROVIDER_URL"] = _moved(
            stack.payment_provider.url, proxy_address(settings, "payment-provider")
        )
    return env
