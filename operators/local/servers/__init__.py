"""The servers of the local stack, in start order."""

from operators.local.servers.alertmanager import Alertmanager
from operators.local.servers.base import Server, ServerError, ServerState, ServerStatus
from operators.local.servers.collector import Collector
from operators.local.servers.kafka import Kafka
from operators.local.servers.payment_provider import PaymentProvider
from operators.local.servers.postgres import Postgres
from operators.local.servers.prometheus import Prometheus
from operators.local.servers.redis import Redis
from operators.local.servers.toxiproxy import Toxiproxy
from operators.local.servers.zipkin import Zipkin

__all__ = [
    "Alertmanager",
    "Collector",
    "Kafka",
    "PaymentProvider",
    "Postgres",
    "Prometheus",
    "Redis",
    "Server",
    "ServerError",
    "ServerState",
    "ServerStatus",
    "Toxiproxy",
    "Zipkin",
]
